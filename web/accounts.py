"""Accounts: create, sign in (argon2, throttled per account and source), sessions.

The cookie is ``<token>.<hmac>``: the token is 256 random bits looked up by
its hash, the HMAC with the server key lets a forged or truncated cookie be
refused before any database read. A wrong password and an unknown user get
the same answer and cost the same argon2 work, and are throttled alike
(`web.throttle`), so user names cannot be probed.
"""

from __future__ import annotations

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
from web import throttle
from web.models import Account, WebSession
from web.throttle import LockoutPolicy, account_ref

PATIENT_ROLE = "patient"
ROLES = frozenset({PATIENT_ROLE, *(r.value for r in Role)})

_HASHER = PasswordHasher()
#: Verified against when the user name is unknown, so both failures take as long.
_DUMMY_HASH = _HASHER.hash("no such account, same work")


class SignInFailed(VeilleError):
    """Wrong user name or password, or too many attempts (``retry_after`` set).

    ``account_ref`` is the pseudonymous reference of the name typed, for the log.
    """

    def __init__(
        self, message: str, account_ref: str, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(message)
        self.account_ref = account_ref
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
    source: str,
    now: datetime,
    key: bytes,
    lifetime: timedelta,
    policy: LockoutPolicy,
) -> tuple[str, SignedIn]:
    """Check the password and open a session: (cookie value, who). Commits.

    The attempt is reserved (`web.throttle`) before anything else, for the name
    typed and ``source`` together; a refused reservation answers the same for a
    real and an unknown name, and costs neither an argon2 run.
    """
    subject = account_ref(key, username)
    wait = throttle.reserve(session, subject, source, now, policy)
    if wait is not None:
        raise SignInFailed("too many attempts; try again later", subject, retry_after=wait)
    account = session.scalars(
        select(Account).where(Account.username == username.strip().lower())
    ).first()
    try:
        if account is None:
            _HASHER.verify(_DUMMY_HASH, password + "\x00")  # same work, never a match
            raise VerifyMismatchError
        _HASHER.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        throttle.failed(session, subject, source, now, policy)
        raise SignInFailed("wrong user name or password", subject) from exc
    throttle.succeeded(session, subject, source)
    if _HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = _HASHER.hash(password)
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
