"""``[web]`` settings: where the data is, how cookies behave, where the secret key lives.

The secret key signs session and CSRF cookies. It comes from a file
(``secret_key_file``, e.g. a systemd credential) or the environment
(``VEILLE_WEB__SECRET_KEY``), never from the repository, and is never printed.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from collector.store import StoreSettings, sqlite_path
from sharing.settings import SharingSettings
from veille.errors import ConfigError
from web.throttle import LockoutPolicy


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    data_dir: Path = Path("veille-data")
    #: Relational database; default ``sqlite:///<data_dir>/veille.db``.
    database_url: str | None = None
    #: Reading store; default the SQLite file of ``data_dir``.
    store: StoreSettings | None = None
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None
    #: False only for plain-HTTP development on loopback.
    cookie_secure: bool = True
    session_hours: float = Field(default=12, gt=0, le=24 * 14)
    #: Failed sign-ins for one account from one source within ``lockout_minutes`` before
    #: that account is locked *from that source* for ``lockout_minutes`` (web.throttle).
    lockout_failures: int = Field(default=5, ge=1)
    lockout_minutes: float = Field(default=15, gt=0)
    #: Failed sign-ins from one source, all accounts together, before the source is locked.
    lockout_source_failures: int = Field(default=50, ge=1)
    #: Addresses or networks of the reverse proxies whose X-Forwarded-For/-Proto are
    #: believed (e.g. Caddy's fixed address in deploy/server/compose.yaml). None by
    #: default: reached directly, a client's own forwarded headers are ignored.
    trusted_proxies: list[str] = Field(default_factory=list)
    #: How long the triage summaries (latest values, 14-day trends) are reused.
    triage_cache_seconds: float = Field(default=60, ge=0)
    #: Sharing's daily job (reminders of grants ending soon) runs in the app this often;
    #: 0 = not here (then schedule `veille sharing daily` yourself).
    housekeeping_hours: float = Field(default=1.0, ge=0, le=24)
    sharing: SharingSettings = SharingSettings()
    #: The care team's time zone: professionals' pages give times in it, zone shown
    #: (a patient reads their own pages in their own zone).
    time_zone: str = "Europe/Paris"

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        """A list, or one comma-separated string (``VEILLE_WEB__TRUSTED_PROXIES=10.0.0.2``)."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for entry in value:
                try:
                    ipaddress.ip_network(str(entry), strict=False)
                except ValueError as exc:
                    raise ValueError(f"{entry!r} is not an IP address or network") from exc
        return value

    def key(self) -> bytes:
        if self.secret_key_file is not None:
            try:
                key = self.secret_key_file.read_bytes().strip()
            except OSError as exc:
                raise ConfigError(
                    f"[web] secret_key_file {self.secret_key_file}: {exc.strerror}"
                ) from exc
        elif self.secret_key is not None:
            key = self.secret_key.get_secret_value().encode()
        else:
            raise ConfigError(
                "[web] needs secret_key_file (or VEILLE_WEB__SECRET_KEY): 32 random bytes or more"
            )
        if len(key) < 32:
            raise ConfigError("[web] secret key is shorter than 32 bytes; generate a longer one")
        return key

    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'veille.db'}"

    def store_settings(self) -> StoreSettings:
        return self.store or StoreSettings(path=sqlite_path(self.data_dir))

    def session_hours_delta(self) -> timedelta:
        return timedelta(hours=self.session_hours)

    def lockout_policy(self) -> LockoutPolicy:
        span = timedelta(minutes=self.lockout_minutes)
        return LockoutPolicy(self.lockout_failures, self.lockout_source_failures, span, span)
