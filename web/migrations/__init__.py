"""Alembic branch ``web``: accounts and sign-in sessions."""
