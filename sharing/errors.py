"""Errors of sharing requests, on the one `VeilleError` tree."""

from __future__ import annotations

from veille.errors import VeilleError


class InvalidRequest(VeilleError):
    """A grant, code or break-glass request that breaks a rule; the message says which."""
