"""Signed webhooks to a trusted system: the alert itself, HMAC-SHA256 over time and body.

The receiver recomputes ``sha256=HMAC(secret, "<timestamp>." + body)`` and
refuses a timestamp outside its tolerance, so a captured request cannot be
replayed later; ``X-Veille-Delivery`` lets it drop a retry it already has.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx

from alerts.notify.base import DeliveryFailed, Note

SIGNATURE = "X-Veille-Signature"
TIMESTAMP = "X-Veille-Timestamp"
DELIVERY = "X-Veille-Delivery"


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: bytes, timestamp: str, body: bytes, signature: str, now: float, tolerance_s: float = 300
) -> bool:
    """What a receiver checks: a valid signature on a recent timestamp."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel:
    name = "webhook"
    trusted = True

    def __init__(self, secret: bytes, *, timeout_s: float = 10.0) -> None:
        if len(secret) < 16:
            raise ValueError("a webhook secret needs at least 16 bytes")
        self._secret = secret
        self.timeout_s = timeout_s

    def send(self, target: str, note: Note) -> None:
        body = note.payload.encode() if note.payload is not None else b"{}"
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP: timestamp,
            SIGNATURE: sign(self._secret, timestamp, body),
            DELIVERY: note.delivery_id,
        }
        try:
            response = httpx.post(target, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as err:
            raise DeliveryFailed(f"webhook: {type(err).__name__}: {err}") from err
        if response.status_code >= 300:
            raise DeliveryFailed(f"webhook answered HTTP {response.status_code}")
