"""Refused readings, reported to the programme's technical contact (never to clinicians).

The collector counts the readings it refuses per gateway and reason
(`collector.models.GatewayRefusal`). At each housekeeping tick the rules
worker tells the addresses of ``[alerts.contacts] technical`` when a count
has grown since it last told them, then records the count it reported: a
failed delivery is tried again at the next tick, a reported one never again.
Clinicians' inboxes and the care team's channels never hear of it: a refused
reading is a gateway's problem, not a patient's.

Uncontrolled channels (e-mail, apprise) get only "there is something to look
at" and the command that shows it; trusted ones (webhook) also get the
gateway id, the category and the count, never a patient id or a value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.notify.base import Channel, DeliveryFailed, Note
from alerts.notify.dispatch import Address
from collector.models import GatewayRefusal
from veille.db import transaction
from veille.logs import get
from wire.alert import RefusalsMessage

log = get("alerts.technical")

#: The contacts key of the programme's technical contact.
CONTACT = "technical"

TEXTS: Mapping[str, Mapping[str, str]] = {
    "title": {
        "fr": "Veille : une passerelle envoie des mesures refusées",
        "en": "Veille: a gateway sends readings that are refused",
    },
    "body": {
        "fr": (
            "Le serveur a refusé {count} nouvelle(s) mesure(s) d'une passerelle "
            "({what}). Sur le serveur : veille collector refusals"
        ),
        "en": (
            "The server refused {count} new reading(s) from a gateway ({what}). "
            "On the server: veille collector refusals"
        ),
    },
    "unauthorised": {
        "fr": "pour une personne que cette passerelle ne suit pas",
        "en": "for a person this gateway does not serve",
    },
    "implausible": {
        "fr": "des valeurs ou des dates impossibles",
        "en": "impossible values or dates",
    },
    "invalid": {"fr": "des messages illisibles", "en": "unreadable messages"},
}


def _text(key: str, language: str) -> str:
    table = TEXTS.get(key, TEXTS["invalid"])
    return table.get(language, table["en"])


def note_for(row: GatewayRefusal, new: int, language: str) -> Note:
    what = _text(row.category, language)
    return Note(
        delivery_id=f"refusals:{row.gateway_id}:{row.category}:{row.count}",
        title=_text("title", language),
        body=_text("body", language).format(count=new, what=what),
        payload=RefusalsMessage(
            delivery=f"refusals:{row.gateway_id}:{row.category}:{row.count}",
            gateway=row.gateway_id,
            category=row.category,
            count=row.count,
            new=new,
            last_at=row.last_at,
        ),
    )


def report_refusals(
    sessions: sessionmaker[Session],
    channels: Mapping[str, Channel],
    addresses: Sequence[Address],
    now: datetime,
) -> int:
    """Tell the technical contact of grown refusal counts; how many counts were reported."""
    if not addresses:
        return 0
    reported = 0
    with transaction(sessions) as session:
        query = select(GatewayRefusal).where(GatewayRefusal.count > GatewayRefusal.reported)
        for row in session.scalars(query.order_by(GatewayRefusal.gateway_id)).all():
            sent = True
            for address in addresses:
                channel = channels.get(address.channel)
                if channel is None:
                    log.warning("technical_channel_unknown", channel=address.channel)
                    continue
                try:
                    channel.send(
                        address.target, note_for(row, row.count - row.reported, address.language)
                    )
                except DeliveryFailed as err:
                    sent = False
                    log.warning("technical_notice_failed", channel=address.channel, error=str(err))
            if sent:
                row.reported = row.count
                reported += 1
    if reported:
        log.info("technical_notices", counts=reported, at=now.isoformat())
    return reported
