"""Alembic branch of alerts (see veille.db.upgrade)."""
