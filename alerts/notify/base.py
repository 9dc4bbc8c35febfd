"""What a notification says, and the one interface every channel implements.

Channels we do not control (e-mail, SMS, push, chat: everything apprise
reaches) get `Note.title` and `Note.body`: "there is something to look at"
and a link to the signed-in inbox, never a health value, a name or even the
pseudonymous patient id. Channels to trusted systems (a signed webhook to a
hospital's own server, our own MQTT broker) get `Note.payload`: the alert, as
the ``veille.alert/1`` message of `wire.alert`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from alerts.lifecycle import AlertRecord
from alerts.terms import Category, Change
from veille.errors import VeilleError
from wire.alert import AlertMessage, DigestMessage, RefusalsMessage

LANGUAGES = ("fr", "en")

#: Texts a recipient reads on an uncontrolled channel, in French and English.
TEXTS: Mapping[str, Mapping[str, str]] = {
    "title.team": {
        "fr": "Veille : une alerte à consulter",
        "en": "Veille: an alert to look at",
    },
    "body.team": {
        "fr": "Il y a quelque chose à regarder dans votre boîte Veille : {link}",
        "en": "There is something to look at in your Veille inbox: {link}",
    },
    "title.all_clear": {
        "fr": "Veille : une alerte est levée",
        "en": "Veille: an alert has cleared",
    },
    "body.all_clear": {
        "fr": "Une alerte est revenue à la normale. Détails dans votre boîte Veille : {link}",
        "en": "An alert has returned to normal. Details in your Veille inbox: {link}",
    },
    "title.digest": {
        "fr": "Veille : {count} alertes en attente",
        "en": "Veille: {count} alerts waiting",
    },
    "body.digest": {
        "fr": "{count} alertes sont arrivées pendant les heures calmes. Boîte Veille : {link}",
        "en": "{count} alerts arrived during quiet hours. Your Veille inbox: {link}",
    },
    "title.device": {
        "fr": "Veille : vérifiez votre appareil de mesure",
        "en": "Veille: please check your measuring device",
    },
    "body.device": {
        "fr": (
            "Une mesure n'a pas pu être prise correctement (brassard mal placé, bandelette, "
            "capteur, ou une autre personne sur la balance). Vérifiez l'appareil et refaites "
            "la mesure. Plus d'informations : {link}"
        ),
        "en": (
            "A measurement could not be taken properly (cuff position, strip, sensor, or "
            "someone else on the scale). Please check the device and measure again. "
            "More information: {link}"
        ),
    },
}


def text(key: str, language: str, **params: Any) -> str:
    table = TEXTS[key]
    return table.get(language, table["en"]).format(**params)


class DeliveryFailed(VeilleError):
    """A channel could not deliver; the dispatcher retries with backoff, then shows it failed."""


@dataclass(frozen=True, slots=True)
class Note:
    """One notification, rendered for every kind of channel."""

    delivery_id: str
    title: str
    body: str
    #: what a trusted channel carries (`wire.alert`); None: nothing beyond title and body
    payload: AlertMessage | DigestMessage | RefusalsMessage | None = None


class Channel(Protocol):
    name: str
    #: True when the channel may carry the alert itself (a trusted system)
    trusted: bool

    def send(self, target: str, note: Note) -> None:
        """Deliver or raise `DeliveryFailed` saying why."""
        ...


def render(alert: AlertRecord, change: Change, delivery_id: str, link: str, language: str) -> Note:
    if alert.category is Category.DEVICE_PROBLEM:
        title, body = text("title.device", language), text("body.device", language, link=link)
    elif change is Change.RESOLVED:
        title = text("title.all_clear", language)
        body = text("body.all_clear", language, link=link)
    else:
        title, body = text("title.team", language), text("body.team", language, link=link)
    payload = AlertMessage(
        delivery=delivery_id,
        alert=alert.id,
        change=change.value,
        patient=alert.patient,
        category=alert.category.value,
        kind=alert.kind.value if alert.kind else None,
        severity=alert.severity.value,
        status=alert.status.value,
        opened_at=alert.opened_at,
        message=alert.message,
        rule=alert.rule,
        rules_version=alert.rules_version,
        link=link,
    )
    return Note(delivery_id, title, body, payload)


def render_digest(delivery_id: str, count: int, link: str, language: str) -> Note:
    return Note(
        delivery_id,
        text("title.digest", language, count=count),
        text("body.digest", language, count=count, link=link),
        DigestMessage(delivery=delivery_id, count=count, link=link),
    )
