"""Sharing's daily job inside the web app: reminders of grants ending soon appear
without anyone having to schedule `veille sharing daily`; sign-in throttle runs
that have ended are dropped in the same pass.

The web app always runs and owns the sharing database, so it hosts the job:
once as it starts (before it serves, so a reminder due is there from the first
page), then every ``housekeeping_hours`` in a thread. The job is idempotent, so
several web workers running it side by side only repeat a cheap query. A
failure is logged and tried again at the next pass; it never stops the app.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sharing.daily import run_daily
from veille import logs
from veille.clock import Clock
from web import throttle

log = logs.get("web.housekeeping")


class Housekeeping:
    """A daemon thread running `sharing.daily.run_daily` every ``every_s`` seconds."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        every_s: float,
        throttle_window: timedelta = timedelta(minutes=15),
    ) -> None:
        self._sessions = sessions
        self._throttle_window = throttle_window
        self._clock = clock
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.run_once()
        self._thread = threading.Thread(target=self._loop, name="housekeeping", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def run_once(self) -> None:
        try:
            now = self._clock.now()
            with self._sessions() as session:
                done = run_daily(session, now)
                throttled = throttle.forget_before(session, now - self._throttle_window)
                session.commit()
        except SQLAlchemyError as err:  # database away: next pass
            log.warning("sharing_daily_failed", error=type(err).__name__)
            return
        log.info(
            "sharing_daily",
            reminders=done.reminders,
            attempts_purged=done.attempts_purged,
            sign_in_runs_purged=throttled,
        )

    def _loop(self) -> None:
        while not self._stop.wait(self._every_s):
            self.run_once()
