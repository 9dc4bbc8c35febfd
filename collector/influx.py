"""The InfluxDB store: Debian's 1.6 through 2.x, 3.x and Cloud.

Writes: the server's version (``X-Influxdb-Version`` on ``/ping``) picks the
API. 1.x before 1.8 has only ``/write``: v1 line protocol, the database
created if missing. 1.8+, 2.x and 3.x get the v2 write API of
`influxdb-client`, SYNCHRONOUS only: its batching writer keeps points in an
unbounded memory queue and drops them after its retries, so a batch counts
as stored only on the server's 2xx, and our collector retries, not the library.

Reads: always InfluxQL through ``/query``, which 1.x, 2.x (through a DBRP
mapping, created here if missing) and 3.x all answer.

urllib3 and HTTP errors become `StoreUnavailable` (retry later) or
`StoreError` (the server refused the data) here, at the edge.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import urllib3
from urllib3.exceptions import HTTPError

from collector.lineproto import epoch_us, from_row, timestamp_ns, to_lines
from collector.store import StoreSettings, series_frame
from devices.reading import Kind
from veille.errors import StoreError, StoreUnavailable
from wire.reading import WireReading

if TYPE_CHECKING:
    import pandas as pd

_PAGE = 5000
_KINDS_RE = "/^(" + "|".join(kind.value for kind in Kind) + ")$/"


def _quote(text: str) -> str:
    """An InfluxQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def write_api_for(version: str) -> str:
    """'v1' for InfluxDB 1.0-1.7 (no /api/v2/write), 'v2' for 1.8+, 2.x, 3.x and for
    servers that send no version (compatible servers)."""
    parts = version.strip().lstrip("v").split(".")
    major, minor = (int(p) if p.isdigit() else 0 for p in [*parts, "0", "0"][:2])
    return "v1" if major == 1 and minor < 8 else "v2"


def _ns(moment: datetime) -> int:
    return epoch_us(moment) * 1000


class InfluxStore:
    """`ReadingStore` on InfluxDB; connects lazily, so a collector starts while it is down."""

    def __init__(self, settings: StoreSettings) -> None:
        self.settings = settings
        self.url = settings.url.rstrip("/")
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(total=settings.timeout_s), retries=False, maxsize=4
        )
        self._headers: dict[str, str] = {}
        token = settings.secret("token")
        if token:
            self._headers["Authorization"] = f"Token {token}"
        elif settings.username:
            self._headers.update(
                urllib3.make_headers(
                    basic_auth=f"{settings.username}:{settings.secret('password')}"
                )
            )
        self._api: str | None = None if settings.api == "auto" else settings.api
        self.version: str | None = None
        self._ready = False
        self._dbrp_checked = False
        self._client: Any = None
        self._write_api: Any = None

    # --- HTTP ------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        fields: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> urllib3.BaseHTTPResponse:
        try:
            response = self._http.request(
                method,
                f"{self.url}{path}",
                fields=fields if body is None else None,
                body=body,
                headers=self._headers,
            )
        except HTTPError as err:
            raise StoreUnavailable(f"InfluxDB {self.url}{path}: unreachable ({err})") from err
        if response.status >= 500 or response.status in (401, 403, 408, 429):
            raise StoreUnavailable(
                f"InfluxDB {self.url}{path}: HTTP {response.status} {self._detail(response)}"
            )
        return response

    @staticmethod
    def _detail(response: urllib3.BaseHTTPResponse) -> str:
        return response.data[:300].decode(errors="replace").strip()

    def detect_api(self) -> str:
        """The write API to use: asks the server once (see `write_api_for`)."""
        if self._api is None or self.version is None:
            response = self._request("GET", "/ping")
            self.version = response.headers.get("X-Influxdb-Version", "")
            if self._api is None:
                self._api = write_api_for(self.version)
        return self._api

    def _query(self, q: str, *, method: str = "GET") -> list[dict[str, Any]]:
        """Run InfluxQL; the series of every statement, or StoreError with the server's reason."""
        self._ensure_readable()
        params = {"db": self.settings.bucket, "q": q, "epoch": "ns"}
        if method == "POST":
            from urllib.parse import urlencode

            response = self._http_post_form("/query", urlencode(params).encode())
        else:
            response = self._request("GET", "/query", fields=params)
        if response.status >= 300:
            raise StoreError(f"InfluxQL refused ({response.status}): {self._detail(response)}")
        try:
            results = json.loads(response.data)["results"]
        except (ValueError, KeyError) as err:
            raise StoreError(f"InfluxDB /query: unreadable answer ({err})") from err
        series: list[dict[str, Any]] = []
        for result in results:
            if "error" in result:
                raise StoreError(f"InfluxQL refused: {result['error']}")
            series.extend(result.get("series", []))
        return series

    def _http_post_form(self, path: str, body: bytes) -> urllib3.BaseHTTPResponse:
        try:
            response = self._http.request(
                "POST",
                f"{self.url}{path}",
                body=body,
                headers={**self._headers, "Content-Type": "application/x-www-form-urlencoded"},
            )
        except HTTPError as err:
            raise StoreUnavailable(f"InfluxDB {self.url}{path}: unreachable ({err})") from err
        if response.status >= 500 or response.status in (401, 403, 408, 429):
            raise StoreUnavailable(
                f"InfluxDB {path}: HTTP {response.status} {self._detail(response)}"
            )
        return response

    # --- setup -----------------------------------------------------------------

    def _ensure_database(self) -> None:
        """1.x: CREATE DATABASE is idempotent; 2.x/3.x buckets are the operator's job."""
        if self._ready:
            return
        if self.detect_api() == "v1" and (self.version or "1").startswith("1"):
            from urllib.parse import urlencode

            body = urlencode({"q": f'CREATE DATABASE "{self.settings.bucket}"'}).encode()
            response = self._http_post_form("/query", body)
            if response.status >= 300:
                raise StoreError(f"InfluxDB: cannot create database: {self._detail(response)}")
        self._ready = True

    def _ensure_readable(self) -> None:
        self._ensure_database()
        if not self._dbrp_checked:
            if (self.version or "").lstrip("v").startswith("2"):
                self._ensure_dbrp()
            self._dbrp_checked = True

    def _ensure_dbrp(self) -> None:
        """2.x answers InfluxQL only through a database/retention-policy mapping."""
        bucket, org = self.settings.bucket, self.settings.org
        found = self._request("GET", "/api/v2/dbrps", fields={"org": org, "db": bucket})
        if found.status < 300 and json.loads(found.data).get("content"):
            return
        buckets = self._request("GET", "/api/v2/buckets", fields={"org": org, "name": bucket})
        listed = json.loads(buckets.data).get("buckets", []) if buckets.status < 300 else []
        if not listed:
            raise StoreError(f"InfluxDB 2.x: bucket {bucket!r} not found in org {org!r}")
        body = json.dumps(
            {
                "bucketID": listed[0]["id"],
                "database": bucket,
                "retention_policy": "autogen",
                "default": True,
                "org": org,
            }
        ).encode()
        created = self._request("POST", "/api/v2/dbrps", body=body)
        if created.status >= 300:
            raise StoreError(
                f"InfluxDB 2.x: cannot map {bucket!r} for InfluxQL: {self._detail(created)}"
            )

    # --- writes ----------------------------------------------------------------

    def write_batch(
        self, readings: Sequence[WireReading], payloads: Sequence[bytes] | None = None
    ) -> None:
        del payloads  # points are built from the readings' fields
        if not readings:
            return
        self._ensure_database()
        body = to_lines(readings).encode()
        if self.detect_api() == "v1":
            self._write_v1(body)
        else:
            self._write_v2(body)

    def _write_v1(self, body: bytes) -> None:
        from urllib.parse import urlencode

        query = urlencode({"db": self.settings.bucket, "precision": "ns"})
        response = self._request("POST", f"/write?{query}", body=body)
        if response.status == 404:  # database dropped under us: create it and retry once
            self._ready = False
            self._ensure_database()
            response = self._request("POST", f"/write?{query}", body=body)
        if response.status >= 300:
            raise StoreError(
                f"InfluxDB refused the batch ({response.status}): {self._detail(response)}"
            )

    def _write_v2(self, body: bytes) -> None:
        from influxdb_client.client.influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS
        from influxdb_client.domain.write_precision import WritePrecision
        from influxdb_client.rest import ApiException

        if self._write_api is None:
            self._client = InfluxDBClient(
                url=self.url,
                token=self.settings.secret("token") or "",
                org=self.settings.org,
                timeout=int(self.settings.timeout_s * 1000),
                retries=False,
            )
            self._write_api = self._client.write_api(write_options=SYNCHRONOUS)
        try:
            self._write_api.write(
                bucket=self.settings.bucket,
                org=self.settings.org,
                record=body,
                write_precision=WritePrecision.NS,
            )
        except ApiException as err:
            status = int(err.status or 0)
            if status >= 500 or status in (0, 401, 403, 404, 408, 429):
                raise StoreUnavailable(f"InfluxDB v2 write: HTTP {status} {err.reason}") from err
            raise StoreError(f"InfluxDB refused the batch ({status}): {err.body!s:.300}") from err
        except HTTPError as err:
            raise StoreUnavailable(f"InfluxDB {self.url}: unreachable ({err})") from err

    # --- reads -----------------------------------------------------------------

    @staticmethod
    def _rows(serie: dict[str, Any]) -> Iterator[dict[str, Any]]:
        columns = serie["columns"]
        tags = serie.get("tags") or {}
        for values in serie.get("values", []):
            yield {**tags, **dict(zip(columns, values, strict=True))}

    def _select(self, kind: str, where: str, tail: str = "") -> list[WireReading]:
        query = f'SELECT * FROM "{kind}" WHERE {where} {tail}'  # noqa: S608 (literals go through _quote)
        series = self._query(query)
        return [from_row(serie["name"], row) for serie in series for row in self._rows(serie)]

    def series(self, patient: str, kind: Kind, start: datetime, end: datetime) -> pd.DataFrame:
        kind = Kind(kind)
        where = f"patient = {_quote(patient)} AND time >= {_ns(start)} AND time < {_ns(end)}"
        rows = self._select(kind.value, where, "ORDER BY time")
        rows.sort(key=lambda r: (r.time, r.id))
        return series_frame(rows)

    def latest(self, patient: str | None = None) -> list[WireReading]:
        where = f"WHERE patient = {_quote(patient)} " if patient is not None else ""
        query = f'SELECT * FROM {_KINDS_RE} {where}GROUP BY "patient" ORDER BY time DESC LIMIT 1'  # noqa: S608 (_quote)
        series = self._query(query)
        rows = [from_row(serie["name"], row) for serie in series for row in self._rows(serie)]
        return sorted(rows, key=lambda r: (r.patient, r.kind.value))

    def count(self) -> int:
        series = self._query(f'SELECT count("id") FROM {_KINDS_RE}')  # noqa: S608 (fixed text)
        return sum(int(values[1]) for serie in series for values in serie.get("values", []))

    def patients(self) -> list[str]:
        series = self._query(f'SHOW TAG VALUES FROM {_KINDS_RE} WITH KEY = "patient"')
        return sorted({row["value"] for serie in series for row in self._rows(serie)})

    def _pages(self, patient: str, kind: Kind, since: datetime | None) -> Iterator[WireReading]:
        """One kind in time order, paged by timestamp (ids at the page edge are skipped once)."""
        after = _ns(since) if since is not None else None
        seen: set[str] = set()
        while True:
            where = f"patient = {_quote(patient)}"
            if after is not None:
                where += f" AND time >= {after}"
            page = self._select(kind.value, where, f"ORDER BY time LIMIT {_PAGE}")
            fresh = [r for r in page if r.id not in seen]
            yield from fresh
            if len(page) < _PAGE or not fresh:
                return
            after = timestamp_ns(fresh[-1]) // 1000 * 1000
            seen = {r.id for r in fresh if timestamp_ns(r) // 1000 * 1000 == after}

    def readings(
        self, patient: str, since: datetime | None = None, kind: Kind | None = None
    ) -> Iterator[WireReading]:
        kinds = [Kind(kind)] if kind is not None else list(Kind)
        streams = [self._pages(patient, k, since) for k in kinds]
        yield from heapq.merge(*streams, key=lambda r: (r.time, r.id))

    def close(self) -> None:
        if self._write_api is not None:
            self._write_api.close()
            self._client.close()
            self._write_api = None
        self._http.clear()
