"""Notifiers: who hears of an alert change, over which channel, when, and proof it was sent."""
