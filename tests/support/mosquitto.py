"""A real mosquitto broker on a free loopback port, for tests.

Started from Debian's `mosquitto` binary with a throwaway config and data
directory; `stop()`/`start()` let fault tests take the broker away and bring
it back on the same port with its persisted sessions.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

from tests.support.processes import stop
from tests.support.waits import wait_until
from veille.mqtt import BrokerSettings, free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Mosquitto:
    def __init__(self, workdir: Path, *, extra_config: str = "", port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.extra_config = extra_config
        self.process: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_file = workdir / "mosquitto.conf"
        self.log_file = workdir / "mosquitto.log"

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def settings(self, **overrides: object) -> BrokerSettings:
        return BrokerSettings.model_validate({"url": self.url, **overrides})

    def _write_config(self) -> None:
        self.config_file.write_text(
            "\n".join(
                [
                    f"listener {self.port} 127.0.0.1",
                    "allow_anonymous true",
                    "persistence true",
                    f"persistence_location {self.workdir}/",
                    "autosave_interval 1",
                    "max_queued_messages 0",
                    "max_inflight_messages 100",
                    f"log_dest file {self.log_file}",
                    "log_type error",
                    "log_type warning",
                    # as root mosquitto would drop to a user that cannot write our temp dir
                    "user root" if os.geteuid() == 0 else "",
                    self.extra_config,
                    "",
                ]
            )
        )

    def start(self) -> None:
        if not Path(MOSQUITTO).exists():
            raise RuntimeError("mosquitto is not installed: run scripts/setup.sh (apt mosquitto)")
        self._write_config()
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config_file)])
        waiting = list(self.listen_ports())
        process = self.process

        def listening() -> bool:
            if process.poll() is not None:
                log = self.log_file.read_text() if self.log_file.exists() else ""
                raise RuntimeError(f"mosquitto exited with {process.returncode}: {log}")
            try:
                with socket.create_connection(("127.0.0.1", waiting[0]), timeout=0.2):
                    waiting.pop(0)
            except OSError:
                return False
            return not waiting

        wait_until(listening, 10, f"mosquitto listening on {waiting}")

    def listen_ports(self) -> list[int]:
        """Every port the config opens: `start` returns once all of them accept."""
        return [self.port]

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
        self.process = None

    def __enter__(self) -> Mosquitto:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
