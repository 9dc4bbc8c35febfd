"""Veille driver for the Xiaomi Mi Body Composition Scale 2, written on Veille's public API only."""

from veille_miscale.driver import MiScale2Driver, encode, parse

__all__ = ["MiScale2Driver", "encode", "parse"]
