"""The demo's services, each the real one, run in a thread of the demo process.

The collector (`collector.consumer.Collector`), the rules worker
(`alerts.worker.run`) and the web app (`web.app.create_app` under uvicorn)
are started exactly as their own commands start them, with the demo's
settings: one embedded broker, SQLite files in the data directory, and the
compressed clock for the rules. Each `Service` starts in a thread and stops
when asked, so the demo can stop them in order: producers first, consumers
last, nothing published left unstored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from collector.backends import open_store
from collector.consumer import Collector, CollectorSettings
from collector.deadletter import DeadLetters
from collector.poison import PoisonJournal
from collector.service import admission, poison_path
from collector.store import StoreSettings, dead_letter_path, sqlite_path
from fleet.consumer import FleetConsumer
from veille.clock import Clock, SystemClock
from veille.db import DatabaseSettings, make_engine, session_factory
from veille.errors import VeilleError
from veille.mqtt import BrokerSettings, connection


class DemoError(VeilleError):
    """A part of the demo did not start or stop."""


class CatchUpClock:
    """Simulated time that starts at ``start``, runs ``speed`` times faster than real
    time once started, and follows the wall clock when it has caught up with it.

    The demo replays the household's last weeks at high speed and then goes on
    live, so the web's "last 14 days" and the rules' "now" are those of today.
    It stands still until `run` (while the services start) and after `freeze`
    (while they stop): a silence then is nobody's missing data. ``monotonic`` and
    ``wall`` are the real clocks it follows (injectable: a test moves them by hand).
    """

    def __init__(
        self,
        start: datetime,
        speed: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("CatchUpClock needs an aware start time")
        self._start = start.astimezone(UTC)
        self._speed = speed
        self._monotonic, self._wall = monotonic, wall
        self._t0 = monotonic()
        self._frozen: datetime | None = self._start

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        fast = self._start + timedelta(seconds=(self._monotonic() - self._t0) * self._speed)
        return min(fast, self._wall())

    def run(self) -> None:
        """Let simulated time go, from where it stands."""
        self._start, self._t0, self._frozen = self.now(), self._monotonic(), None

    def freeze(self) -> None:
        self._frozen = self.now()

    def caught_up(self) -> bool:
        return self.now() >= self._wall() - timedelta(seconds=1)

    def real_seconds_left(self) -> float:
        """Real seconds until the replay reaches the present."""
        return max(0.0, (self._wall() - self.now()).total_seconds() / self._speed)


class Service:
    """One service in a daemon thread; ``stop`` asks it to end, ``join`` waits for it."""

    def __init__(self, name: str, target: Callable[[], None], stop: Callable[[], None]) -> None:
        self.name = name
        self._stop = stop
        self.failure: BaseException | None = None

        def body() -> None:
            try:
                target()
            except Exception as err:  # noqa: BLE001 - the demo's supervisor: report, not hide
                self.failure = err

        self._thread = threading.Thread(target=body, name=f"demo-{name}", daemon=True)

    def start(self) -> Service:
        self._thread.start()
        return self

    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise DemoError(f"{self.name} did not stop within {timeout_s:.0f} s")


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise DemoError(f"{what} within {timeout_s:.0f} s")
        time.sleep(0.05)


def store_settings(data_dir: Path) -> StoreSettings:
    return StoreSettings(backend="sqlite", path=sqlite_path(data_dir))


def start_collector(broker: BrokerSettings, data_dir: Path) -> Service:
    """The collector, subscribed before anything is published (its session is new).

    Each service opens the store on its own, as separate processes would: SQLite
    in WAL mode lets the web and the rules read while the collector writes."""
    store = open_store(store_settings(data_dir))
    letters = DeadLetters(dead_letter_path(data_dir))
    settings = CollectorSettings(
        client_id="veille-demo-collector", dead_letter_path=dead_letter_path(data_dir)
    )
    journal = PoisonJournal(poison_path(dead_letter_path(data_dir)), settings.client_id)
    admit = admission(settings, DatabaseSettings(url=database_url(data_dir)))
    collector = Collector(settings, broker, store, letters, admit, journal)

    def run() -> None:
        try:
            collector.run()
        finally:
            store.close()
            letters.close()
            journal.close()

    service = Service("collector", run, collector.stop).start()
    wait_for(collector.subscribed.is_set, 20, "the collector did not subscribe")
    return service


def start_fleet(broker: BrokerSettings, data_dir: Path) -> Service:
    """The fleet consumer: the gateway's retained status and heartbeats into veille.db.

    On the system clock, as the gateway's own ``sent_at`` is: the simulated
    clock would make every heartbeat look hours adrift."""
    engine = make_engine(database_url(data_dir))
    consumer = FleetConsumer(broker, session_factory(engine), SystemClock())
    stop = threading.Event()

    def run() -> None:
        consumer.start()
        try:
            consumer.run(stop)
        finally:
            consumer.close()
            engine.dispose()

    service = Service("fleet", run, stop.set).start()
    wait_for(consumer.subscribed.is_set, 20, "the fleet consumer did not subscribe")
    return service


def reserve_session(broker: BrokerSettings, client_id: str, topic: str) -> None:
    """Open ``client_id``'s persistent session and subscribe it, then leave.

    `alerts.worker.run` says nothing when it has subscribed; with its session
    made beforehand the broker queues every reading for it from now on, so
    the rules see the first reading of the replay even if the worker's
    thread connects a moment after the gateway starts publishing.
    """
    done = threading.Event()
    conn = connection(broker, client_id, persistent=True)
    conn.client.on_connect = lambda client, *_a: client.subscribe(topic, qos=1)
    conn.client.on_subscribe = lambda *_a: done.set()
    conn.connect_async()
    try:
        if not done.wait(10):
            raise DemoError(f"could not open the MQTT session of {client_id}")
    finally:
        conn.close()


def start_alerts(
    broker: BrokerSettings, data_dir: Path, clock: Clock, link: str, team_id: int
) -> Service:
    """The rules worker on the demo's clock; housekeeping (missing data, escalation,
    deliveries) every simulated three hours, a fraction of a second of the replay.

    The care team's notifications go to the MQTT channel (`veille/v1/alerts/<severity>`
    on the demo's broker), the one channel a laptop has without configuration."""
    from alerts.worker import AddressSettings, AlertsSettings, run
    from wire import topics

    settings = AlertsSettings(
        database=database_url(data_dir),
        client_id="veille-demo-rules",
        link=link,
        tick_s=3 * 3600.0,
        # Simulated seconds too: the only worker's own cache is the truth; a reload from
        # the store per reading would only slow it, and a slow worker's "now" lags.
        cache_ttl_s=7 * 86_400.0,
        contacts={f"team:{team_id}": [AddressSettings(channel="mqtt")]},
    )
    reserve_session(broker, settings.client_id or "", topics.ALL_READINGS)
    stop = threading.Event()

    def serve() -> None:
        store = open_store(store_settings(data_dir))
        try:
            run(settings, broker, clock=clock, stop=stop, store=store)
        finally:
            store.close()

    return Service("rules", serve, stop.set).start()


def database_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'veille.db'}"


def start_web(data_dir: Path, port: int) -> Service:
    """The web app under uvicorn on loopback; stops when uvicorn is told to exit."""
    import secrets

    import uvicorn

    from web.app import create_app
    from web.settings import WebSettings

    key_file = data_dir / "web-secret.key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    settings = WebSettings(
        host="127.0.0.1",
        port=port,
        data_dir=data_dir,
        secret_key_file=key_file,
        cookie_secure=False,  # plain HTTP on loopback only
        triage_cache_seconds=2,
    )
    store = open_store(store_settings(data_dir))
    app = create_app(settings, store=store)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        proxy_headers=False,  # uvicorn would believe X-Forwarded-For from any loopback client
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)  # in a thread: uvicorn leaves the signals to the demo

    def serve() -> None:
        try:
            server.run()
        finally:
            store.close()

    def stop() -> None:
        server.should_exit = True

    service = Service("web", serve, stop).start()
    wait_for(lambda: server.started or not service.alive(), 20, "the web app did not listen")
    if service.failure is not None or not server.started:
        why = f": {service.failure}" if service.failure is not None else ""
        raise DemoError(
            f"the web app could not listen on 127.0.0.1:{port}{why} (port in use? try --port)"
        )
    return service
