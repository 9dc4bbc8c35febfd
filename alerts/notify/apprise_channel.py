"""The many other channels (SMS gateways, push, chat, ...) through apprise URLs.

Only the title and the link travel: these services are not ours.
"""

from __future__ import annotations

import apprise

from alerts.notify.base import DeliveryFailed, Note


class AppriseChannel:
    name = "apprise"
    trusted = False

    def send(self, target: str, note: Note) -> None:
        service = apprise.Apprise()
        if not service.add(target):
            raise DeliveryFailed("apprise: the URL is not one apprise understands")
        if not service.notify(title=note.title, body=note.body):
            raise DeliveryFailed("apprise: the service refused or could not be reached")
