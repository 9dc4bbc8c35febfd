"""`veille demo`: the whole system on one laptop, only the Bluetooth radios simulated.

One process runs the embedded MQTT broker (amqtt), the collector writing
the SQLite store, the rules worker on a compressed clock, the web app on
loopback, and the household's gateway. The household's last four weeks
are replayed at ``speed`` times real time through the real publishing path
(device timestamps in simulated time), then the clock follows the wall
clock and the demo goes on live until ``--duration`` or Ctrl-C.

Stopping (Ctrl-C, SIGTERM, or the end of ``--duration``) goes producers
first: the household stops measuring, the gateway's unacknowledged readings
drain into the store (bounded wait), then the rules, the collector, the web
and the broker stop. The data directory keeps a small state file, so a
second run continues the story where the first stopped (``--reset`` starts
over).
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TextIO
from zoneinfo import ZoneInfo

from demo.broker import USERNAME, EmbeddedBroker
from demo.gateway import (
    GATEWAY_ID,
    SimulatedGateway,
    load_household,
    produced,
    story_start,
)
from demo.options import HISTORY_DAYS, DemoOptions
from demo.progress import Progress
from demo.seed import COORDINATOR, LEAD, NURSE, PATIENT_ACCOUNTS, PHYSICIAN, seed
from demo.services import (
    CatchUpClock,
    DemoError,
    Service,
    database_url,
    start_alerts,
    start_collector,
    start_fleet,
    start_web,
)
from veille import logs
from veille.db import create_schema, import_models, make_engine, session_factory, transaction
from veille.errors import VeilleError
from veille.mqtt import BrokerSettings
from wire import topics

STATE_FILE = "demo-state.json"
ZONE = "Europe/Paris"
DRAIN_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class DemoState:
    """What a second run needs: where the story started and how far it was played."""

    epoch: date
    played_until: datetime

    def save(self, data_dir: Path, produced: dict[str, dict[str, int]]) -> None:
        data = {
            "epoch": self.epoch.isoformat(),
            "played_until": self.played_until.isoformat(),
            "produced": produced,
        }
        tmp = data_dir / f"{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        tmp.replace(data_dir / STATE_FILE)


def prepare(data_dir: Path, reset: bool, now: datetime) -> tuple[DemoState, bool]:
    """The state of the data directory (created or reset as asked); True if it is new."""
    state_path = data_dir / STATE_FILE
    if data_dir.exists() and any(data_dir.iterdir()) and not state_path.exists():
        raise DemoError(
            f"{data_dir} is not empty and holds no {STATE_FILE}: not a demo data directory; "
            "pick another --data-dir"
        )
    if reset and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if state_path.exists():
        try:
            data = json.loads(state_path.read_text())
            return DemoState(
                date.fromisoformat(data["epoch"]), datetime.fromisoformat(data["played_until"])
            ), False
        except (ValueError, KeyError, TypeError) as err:
            raise DemoError(f"{state_path} is damaged ({err}); run again with --reset") from err
    epoch = now.astimezone(ZoneInfo(ZONE)).date() - timedelta(days=HISTORY_DAYS)
    state = DemoState(epoch, story_start(load_household(epoch)))
    state.save(data_dir, {})  # marks the directory as the demo's (what --reset may delete)
    return state, True


class Demo:
    def __init__(self, options: DemoOptions, out: TextIO) -> None:
        self.options = options
        self.out = out
        self.stop = threading.Event()
        #: a second Ctrl-C: stop waiting for the drain (what is left stays on disk)
        self.hurry = threading.Event()
        self._services: list[Service] = []

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.stop.is_set():
            self.hurry.set()
            self.say(f"{name} again: not waiting for the last readings (they stay on disk).")
        else:
            self.say(f"\n{name}: stopping (finishing what is in flight; again to hurry)...")
        self.stop.set()

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        options = self.options
        data_dir = options.data_dir
        state, new = prepare(data_dir, options.reset, datetime.now(UTC))
        household = load_household(state.epoch)
        clock = CatchUpClock(state.played_until, options.speed)
        self.say("Veille demo: the whole system on this machine; only the Bluetooth radios are")
        self.say("simulated. Everything below runs the real code of each part.")
        how = "new" if new else f"continuing from {state.played_until:%Y-%m-%d %H:%M} UTC"
        self.say(f"  data directory   {data_dir} ({how})")

        import_models()
        engine = make_engine(database_url(data_dir))
        create_schema(engine)
        sessions = session_factory(engine)
        with transaction(sessions) as session:
            # Enrolled and sharing since day 0 of the story: the rules' simulated "now"
            # finds the grants live when it routes the alerts.
            world = seed(session, list(household.patients), story_start(household))
        self.say(f"  database         {database_url(data_dir)} (care team, accounts, consent)")

        broker = EmbeddedBroker()
        broker.start()
        settings = BrokerSettings(url=broker.url, protocol="3.1.1", username=USERNAME)
        self.say(f"  MQTT broker      {broker.url} (embedded amqtt, MQTT 3.1.1)")
        gateway: SimulatedGateway | None = None
        progress: Progress | None = None
        watcher: threading.Thread | None = None
        try:
            collector = start_collector(settings, data_dir)
            self._services.append(collector)
            self.say(f"  collector        readings -> {data_dir / 'readings.sqlite'}")
            self.say(
                "                   admits only the patients its gateway is paired with and"
                " possible values;"
            )
            self.say(f"                   refused: veille collector refusals --data-dir {data_dir}")
            self._services.append(start_fleet(settings, data_dir))
            self.say("  fleet            each gateway's status and heartbeat -> veille.db")
            web_url = f"http://127.0.0.1:{options.port}"
            rules = start_alerts(settings, data_dir, clock, f"{web_url}/team/alerts", world.team_id)
            self._services.append(rules)
            self.say(
                "  rules worker     alerts -> veille.db, the team notified on MQTT "
                f"{topics.ALL_ALERTS}; its 'now' is the simulated clock"
            )
            web = start_web(data_dir, options.port)
            self._services.append(web)
            self.say(f"  web app          {web_url}")
            progress = Progress(settings, sessions, self.out, clock.now, ZONE)
            progress.start()
            gateway = SimulatedGateway(household, clock, settings, data_dir, state.played_until)
            producer = Service("gateway", gateway.run, gateway.stop).start()
            self._services.append(producer)
            if not gateway.wait_ready(20):
                raise DemoError(f"the gateway did not start: {producer.failure}")
            self.say(
                f"  gateway          {GATEWAY_ID}: {len(household.devices)} simulated BLE devices,"
                f" {len(household.patients)} patients, outbox in {data_dir / 'gateway'}"
            )
            self._sign_in(web_url)
            clock.run()
            left = clock.real_seconds_left()
            zone = ZoneInfo(ZONE)
            self.say(
                f"Replaying the household from {state.played_until.astimezone(zone):%Y-%m-%d} "
                f"to now at {options.speed:,.0f}x: about {left:.0f} s, then live."
            )
            watcher = threading.Thread(target=progress.watch, args=(self.stop,), daemon=True)
            watcher.start()
            self._wait(clock)
            clock.freeze()
            played = self._drain(gateway)
            DemoState(state.epoch, played).save(data_dir, produced(household, played))
        finally:
            self.stop.set()
            if watcher is not None:
                watcher.join(5)
            self._shutdown(broker, progress)
        if progress is not None:
            progress.poll_alerts()
            _seen, stored, per_kind = progress.counts()
            self.say(
                f"Stopped. Readings stored this run: {stored} ({dict(sorted(per_kind.items()))})."
            )
            self.say(f"Alerts raised so far: {dict(sorted(progress.alert_counts.items()))}.")
        self.say(f"Every reading: veille export --data-dir {data_dir}")
        return 0

    def _sign_in(self, web_url: str) -> None:
        self.say("")
        self.say("Sign in — DEMO ACCOUNTS, for this local demo only (never reuse these passwords):")
        self.say(f"  {web_url}/login   (nurse: triage at /team, alerts at /team/alerts;")
        self.say("  physician: a patient's page (from /team) edits targets, its readings tables")
        self.say("  export CSV, its consultation summary prints or downloads as PDF;")
        self.say("  patient: their own charts and sharing choices at /me;")
        self.say("  team lead: the team's emergency accesses at /team/break-glass;")
        self.say(f"  coordinator: every gateway's health at {web_url}/api/v1/gateways)")
        for label, account in (
            ("nurse", NURSE),
            ("physician", PHYSICIAN),
            ("team lead", LEAD),
            ("coordinator", COORDINATOR),
        ):
            self.say(f"  {label:<10} user {account.username:<12} password {account.password}")
        for patient_id, account in PATIENT_ACCOUNTS.items():
            self.say(
                f"  patient    user {account.username:<12} password {account.password}"
                f"  ({account.who}; {patient_id})"
            )
        self.say("")

    def _wait(self, clock: CatchUpClock) -> None:
        deadline = (
            None if self.options.duration_s is None else time.monotonic() + self.options.duration_s
        )
        announced = False
        while not self.stop.is_set():
            for service in self._services:
                if service.failure is not None:
                    raise DemoError(f"{service.name} failed: {service.failure}")
            if not announced and clock.caught_up():
                announced = True
                self.say("Caught up with the present: the household now measures in real time.")
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                self.say(f"--duration {self.options.duration_s:g} s reached: stopping.")
                break
            self.stop.wait(0.2 if remaining is None else min(0.2, remaining))

    def _drain(self, gateway: SimulatedGateway) -> datetime:
        """Stop measuring; wait (bounded) until the devices have handed over every record
        and the gateway's outbox is empty, that is the store has every reading."""
        played = gateway.pause()
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        left = gateway.left()
        while left.total and time.monotonic() < deadline and not self.hurry.is_set():
            time.sleep(0.2)
            left = gateway.left()
        if left.total:
            self.say(
                f"Not drained: {left.on_devices} records still on "
                f"the devices, {left.in_outbox} in the gateway's outbox (kept on disk); "
                "the next run picks them up."
            )
            if left.oldest_on_device is not None:
                played = min(played, left.oldest_on_device - timedelta(microseconds=1))
        else:
            self.say("Every published reading is in the store.")
        time.sleep(0.5)  # the rules worker judges the last readings
        return played

    def _shutdown(self, broker: EmbeddedBroker, progress: Progress | None) -> None:
        for service in reversed(self._services):
            try:
                service.stop()
            except DemoError as err:
                self.say(f"warning: {err}")
        self._services.clear()
        if progress is not None:
            progress.stop()
        broker.stop()


def run(options: DemoOptions, out: TextIO | None = None) -> int:
    """Run the demo; 0 on a clean stop, 2 when something could not start."""
    logs.configure(level=30)  # warnings only: the demo prints its own progress
    demo = Demo(options, out or sys.stdout)
    try:
        return demo.run()
    except VeilleError as err:
        print(f"veille demo: {err}", file=sys.stderr)
        return 2
