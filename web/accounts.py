"""Accounts: create, sign in (argon2, lockout), sessions (server-side, signed cookie).

The cookie is ``<token>.<hmac>``: the token is 256 random bits looked up by
its hash, the HMAC with the server key lets a forged or truncated cookie be
refused before any database read. A wrong password and an unknown user get
the same answer and cost the same argon2 work, so user names cannot be probed.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sharing.errors import InvalidRequest
from sharing.models import Patient, Professional
from sharing.terms import Role
from veille.errors import VeilleError
from web.models import Account, WebSession

PATIENT_ROLE = "patient"
ROLES = frozenset({PATIENT_ROLE, *(r.value for r in Role)})

_HASHER = PasswordHasher()
#: Verified against when the user name is unknown, so both failures take as long.
_DUMMY_HASH = _HASHER.hash("no such account, same work")


class SignInFailed(VeilleError):
    """Wrong user name or password, or the account is locked; ``retry_after`` if locked."""

    def __init__(self, message: str, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a valid session cookie belongs to."""

    account_id: int
    username: str
    role: str
    professional_id: int | None
    patient_id: str | None
    csrf: str


def create_account(
    session: Session,
    username: str,
    password: str,
    *,
    now: datetime,
    professional_id: int | None = None,
    patient_id: str | None = None,
) -> Account:
    """An account for one professional (their role comes from sharing) or one patient."""
    if len(password) < 10:
        raise InvalidRequest("a password has at least 10 characters")
    if (professional_id is None) == (patient_id is None):
        raise InvalidRequest("an account belongs to exactly one professional or one patient")
    if professional_id is not None:
        professional = session.get(Professional, professional_id)
        if professional is None:
            raise InvalidRequest(f"unknown professional {professional_id}")
        role = professional.role
    else:
        if session.get(Patient, patient_id) is None:
            raise InvalidRequest(f"unknown patient {patient_id}")
        role = PATIENT_ROLE
    account = Account(
        username=username.strip().lower(),
        password_hash=_HASHER.hash(password),
        role=role,
        professional_id=professional_id,
        patient_id=patient_id,
        failed_logins=0,
        created_at=now,
    )
    session.add(account)
    session.flush()
    return account


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _sign(token: str, key: bytes) -> str:
    mac = hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
    return f"{token}.{mac}"


def unsign(cookie: str, key: bytes) -> str | None:
    """The token inside a cookie value, or None when the signature does not match."""
    token, _, _mac = cookie.rpartition(".")
    if not token or not hmac.compare_digest(_sign(token, key), cookie):
        return None
    return token


def sign_in(
    session: Session,
    username: str,
    password: str,
    *,
    now: datetime,
    key: bytes,
    lifetime: timedelta,
    max_failures: int,
    lockout: timedelta,
) -> tuple[str, SignedIn]:
    """Check the password and open a session: (cookie value, who). Commits."""
    account = session.scalars(
        select(Account).where(Account.username == username.strip().lower())
    ).first()
    if account is None:
        with contextlib.suppress(VerifyMismatchError):
            _HASHER.verify(_DUMMY_HASH, password + "x")
        raise SignInFailed("wrong user name or password")
    if account.locked_until is not None and account.locked_until > now:
        raise SignInFailed("account locked", retry_after=account.locked_until - now)
    try:
        _HASHER.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        account.failed_logins += 1
        if account.failed_logins >= max_failures:
            account.locked_until = now + lockout
            account.failed_logins = 0
        session.commit()
        raise SignInFailed("wrong user name or password") from exc
    if _HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = _HASHER.hash(password)
    account.failed_logins = 0
    account.locked_until = None
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=_digest(token),
        account_id=account.id,
        csrf=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.commit()
    return _sign(token, key), _who(account, row)


def _who(account: Account, row: WebSession) -> SignedIn:
    return SignedIn(
        account.id,
        account.username,
        account.role,
        account.professional_id,
        account.patient_id,
        row.csrf,
    )


def current(session: Session, cookie: str | None, *, now: datetime, key: bytes) -> SignedIn | None:
    """Who a cookie signs in, or None (missing, forged, expired or signed out)."""
    token = unsign(cookie, key) if cookie else None
    if token is None:
        return None
    row = session.get(WebSession, _digest(token))
    if row is None or row.expires_at <= now:
        return None
    account = session.get(Account, row.account_id)
    if account is None:
        return None
    return _who(account, row)


def sign_out(session: Session, cookie: str | None, *, key: bytes) -> None:
    token = unsign(cookie, key) if cookie else None
    if token is not None:
        session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))
        session.commit()
