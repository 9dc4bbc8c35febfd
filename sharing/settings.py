"""``[sharing]`` settings: access-code limits and the secret pepper, from TOML or environment.

The pepper is a secret: it comes from a file (``code_pepper_file``, e.g. a
systemd credential) or the environment (``VEILLE_SHARING__CODE_PEPPER``),
never from the repository, and is never printed.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from sharing.policy import CodePolicy
from veille.errors import ConfigError


class SharingSettings(BaseModel):
    code_pepper: SecretStr | None = None
    code_pepper_file: Path | None = None
    code_default_hours: float = Field(default=24, gt=0)
    code_max_days: float = Field(default=30, gt=0)
    code_default_uses: int = Field(default=3, ge=1)
    code_max_uses: int = Field(default=20, ge=1)
    code_session_minutes: float = Field(default=60, gt=0)
    code_source_failures: int = Field(default=5, ge=1)
    code_global_failures: int = Field(default=100, ge=1)
    code_failure_window_minutes: float = Field(default=15, gt=0)

    def pepper(self) -> bytes:
        if self.code_pepper_file is not None:
            try:
                return self.code_pepper_file.read_bytes().strip()
            except OSError as exc:
                raise ConfigError(
                    f"[sharing] code_pepper_file {self.code_pepper_file}: {exc.strerror}"
                ) from exc
        if self.code_pepper is not None:
            return self.code_pepper.get_secret_value().encode()
        return b""

    def code_policy(self) -> CodePolicy:
        return CodePolicy(
            default_ttl=timedelta(hours=self.code_default_hours),
            max_ttl=timedelta(days=self.code_max_days),
            default_uses=self.code_default_uses,
            max_uses=self.code_max_uses,
            session_ttl=timedelta(minutes=self.code_session_minutes),
            source_failures=self.code_source_failures,
            global_failures=self.code_global_failures,
            failure_window=timedelta(minutes=self.code_failure_window_minutes),
            pepper=self.pepper(),
        )
