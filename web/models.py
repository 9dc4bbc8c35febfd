"""Web accounts and their sign-in sessions, on the one `veille.db.Base`.

An account is a way in, not an identity: it points at a sharing
`Professional` or `Patient`, and every data decision is taken by
`sharing.access` for that identity. Sessions live server-side so signing
out (or locking an account) ends them at once; the cookie holds only a
random token, and the table only its hash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from veille.db import Base, UTCDateTime


class Account(Base):
    """``role`` is ``patient``, ``nurse``, ``physician`` or ``care_team_admin``."""

    __tablename__ = "web_accounts"
    __table_args__ = (
        CheckConstraint(
            "(professional_id IS NULL) <> (patient_id IS NULL)", name="account_one_identity"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    professional_id: Mapped[int | None] = mapped_column(ForeignKey("professionals.id"))
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A signed-in browser; ``csrf`` is the token every form of this session must echo."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("web_accounts.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SignInThrottle(Base):
    """Sign-in attempts in flight or failed, per (typed account, source) (`web.throttle`).

    ``subject`` is a keyed hash of the user name typed (``*``: every account, for the
    source's own cap); ``source`` the client address as the trusted proxies report it.
    """

    __tablename__ = "web_sign_in_throttle"

    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
