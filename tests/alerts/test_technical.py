"""Refused readings reach the programme's technical contact, once per new count."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.notify.dispatch import Address
from alerts.notify.technical import report_refusals
from alerts.notify.webhook import WebhookChannel
from collector.authority import Refusals
from tests.alerts.servers import http_receiver
from veille.db import create_schema, import_models, make_engine, session_factory, transaction

SECRET = b"0123456789abcdef-test-secret"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_technical_contact_hears_of_grown_refusal_counts_once(tmp_path: Path) -> None:
    import_models()
    engine = make_engine(f"sqlite:///{tmp_path / 'veille.db'}")
    create_schema(engine)
    sessions = session_factory(engine)
    refusals = Refusals()
    for _ in range(3):
        refusals.add("gw-7", "unauthorised", "gateway gw-7 does not serve patient p-x", T0)
    with transaction(sessions) as session:
        refusals.flush(session)
    with http_receiver([500]) as hook:
        channels = {"webhook": WebhookChannel(SECRET)}
        to = [Address("webhook", hook.url, "en")]
        assert report_refusals(sessions, channels, to, T0) == 0  # failed: tried again
        assert report_refusals(sessions, channels, to, T0) == 1
        assert report_refusals(sessions, channels, to, T0) == 0  # nothing new: silent
        refusals.add("gw-7", "unauthorised", "again", T0 + timedelta(minutes=1))
        with transaction(sessions) as session:
            refusals.flush(session)
        assert report_refusals(sessions, channels, to, T0) == 1
        bodies = [json.loads(r.body) for r in hook.accepted]
    assert [(b["gateway"], b["category"], b["count"], b["new"]) for b in bodies] == [
        ("gw-7", "unauthorised", 3, 3),
        ("gw-7", "unauthorised", 4, 1),
    ]
    assert all("p-x" not in json.dumps(b) for b in bodies)  # no patient id travels
    engine.dispose()
