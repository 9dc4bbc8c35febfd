"""Real time-series servers on free loopback ports, for tests and benchmarks.

`Influxd` runs Debian's InfluxDB 1.6 (`influxd run -config ...`) with a
throwaway config and data directory; `stop()`/`start()` take it away and bring
it back on the same ports with its data. `VictoriaMetrics` accepts the
InfluxDB v1 and v2 write APIs, so the v2 write path is tested against a real
server and read back through its export API. A missing binary fails loudly.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Self

from tests.support.processes import stop
from tests.support.waits import wait_until
from veille.mqtt import free_port

INFLUXD = shutil.which("influxd") or "/usr/bin/influxd"
VICTORIA = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"


def _wait_http(url: str, process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    def answers() -> bool:
        if process.poll() is not None:
            text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{what} exited with {process.returncode}: {text}")
        try:
            with urllib.request.urlopen(url, timeout=0.5) as answer:  # noqa: S310 (loopback)
                return bool(answer.status < 300)
        except (urllib.error.URLError, OSError):
            return False

    wait_until(answers, 30, f"{what} answering {url}")


class _Server:
    binary = ""
    name = ""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.log_file = workdir / f"{self.name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        if not Path(self.binary).exists():
            raise RuntimeError(f"{self.binary} is not installed: run scripts/setup.sh --test")
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=log)
        _wait_http(f"{self.url}/ping", self.process, self.log_file, self.name)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, grace_s=15)
        self.process = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class Influxd(_Server):
    """Debian's InfluxDB 1.6: only /write and /query, as on a Raspberry Pi."""

    binary = INFLUXD
    name = "influxd"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.rpc_port = free_port()
        self.config_file = workdir / "influxdb.conf"

    def command(self) -> list[str]:
        data = self.workdir
        self.config_file.write_text(
            f"""reporting-disabled = true
bind-address = "127.0.0.1:{self.rpc_port}"
[meta]
  dir = "{data}/meta"
[data]
  dir = "{data}/data"
  wal-dir = "{data}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:{self.port}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[logging]
  level = "warn"
"""
        )
        return [self.binary, "run", "-config", str(self.config_file)]

    def query(self, q: str, db: str = "veille") -> list[dict[str, Any]]:
        """Raw InfluxQL, for tests that look behind the store."""
        params = urllib.parse.urlencode({"db": db, "q": q, "epoch": "ns"})
        with urllib.request.urlopen(f"{self.url}/query?{params}", timeout=10) as answer:  # noqa: S310
            results = json.loads(answer.read())["results"]
        return [serie for result in results for serie in result.get("series", [])]

    def write(self, line: str, db: str = "veille") -> None:
        """Raw line protocol (ns), for tests that set the scene behind the store."""
        url = f"{self.url}/write?db={db}&precision=ns"
        request = urllib.request.Request(url, data=line.encode(), method="POST")  # noqa: S310
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 (loopback)


class VictoriaMetrics(_Server):
    """VictoriaMetrics: a real server for InfluxDB's v2 write API."""

    binary = VICTORIA
    name = "victoria-metrics"

    def command(self) -> list[str]:
        return [
            self.binary,
            f"-httpListenAddr=127.0.0.1:{self.port}",
            f"-storageDataPath={self.workdir}/data",
            "-dedup.minScrapeInterval=1ms",
            "-retentionPeriod=100y",  # test readings are dated in the past
            "-search.latencyOffset=0s",
            "-loggerLevel=ERROR",
        ]

    def export(self, match: str) -> list[dict[str, Any]]:
        """Raw samples of the series matching ``match`` (JSON lines of /api/v1/export)."""
        params = urllib.parse.urlencode({"match[]": match})
        with urllib.request.urlopen(f"{self.url}/api/v1/export?{params}", timeout=10) as answer:  # noqa: S310
            return [json.loads(line) for line in answer.read().splitlines() if line.strip()]

    def flush(self) -> None:
        """Make just-written samples searchable (VictoriaMetrics buffers them ~1 s)."""
        with urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=10):  # noqa: S310
            pass
