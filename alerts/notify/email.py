"""E-mail through an SMTP relay: the title and the link, nothing else."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from alerts.notify.base import DeliveryFailed, Note
from veille.errors import ConfigError


class EmailChannel:
    name = "email"
    trusted = False

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = False,
        username: str | None = None,
        password_file: Path | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls = starttls
        self.username = username
        self.password_file = password_file
        self.timeout_s = timeout_s

    def _password(self) -> str | None:
        if self.password_file is None:
            return None
        try:
            return self.password_file.read_text().strip()
        except OSError as err:
            raise ConfigError(f"e-mail password_file: cannot read it ({err.strerror})") from err

    def send(self, target: str, note: Note) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = target
        message["Subject"] = note.title
        message["X-Veille-Delivery"] = note.delivery_id
        message.set_content(note.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self._password() or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as err:
            raise DeliveryFailed(f"e-mail via {self.host}:{self.port}: {err}") from err
