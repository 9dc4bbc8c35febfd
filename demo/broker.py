"""The demo's embedded MQTT broker: amqtt, in process, on loopback only.

`veille demo` must run on a laptop with nothing installed but Python, so it
cannot count on mosquitto. amqtt speaks MQTT 3.1.1 only; the clients fall
back to it on their own (`veille.mqtt.negotiate_protocol`). It runs in its own
thread and event loop so the synchronous paho clients of the demo are
unaffected by it.

amqtt keeps QoS 1 messages for a persistent session while its client is away
only when the client is not anonymous, and its stock plugin marks every
client anonymous when anonymous clients are allowed. `NamedClients` accepts
every client (loopback only) and treats one that gives a user name
(`USERNAME`, as the demo's services do) as named: the collector's readings
then wait in the broker while it restarts, as they do with mosquitto.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from amqtt.broker import Broker
from amqtt.plugins.base import BaseAuthPlugin
from amqtt.session import Session

from veille.errors import VeilleError
from veille.mqtt import free_port

#: The user name the demo's services give the embedded broker (no password: loopback).
USERNAME = "veille-demo"


class EmbeddedBrokerError(VeilleError):
    """The embedded broker did not start or stop."""


class NamedClients(BaseAuthPlugin):  # type: ignore[misc]  # amqtt ships no types
    """amqtt authentication: everyone in; a client with a user name keeps its
    persistent session's messages while away (amqtt keeps none for anonymous ones)."""

    async def authenticate(self, *, session: Session) -> bool | None:
        session.is_anonymous = not session.username
        return True


class EmbeddedBroker:
    """Start with `start()`, stop with `stop()`; `url` is for BrokerSettings."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self._ready = threading.Event()
        # amqtt logs every connection at INFO; the demo prints its own progress.
        logging.getLogger("amqtt").setLevel(logging.WARNING)
        logging.getLogger("transitions").setLevel(logging.WARNING)

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def _config(self) -> dict[str, Any]:
        return {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            "plugins": {f"{NamedClients.__module__}.{NamedClients.__qualname__}": {}},
        }

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop

        async def serve() -> None:
            self._stop = asyncio.Event()
            broker = Broker(self._config())
            await broker.start()
            self._ready.set()
            try:
                await self._stop.wait()
            finally:
                await broker.shutdown()

        try:
            loop.run_until_complete(serve())
        except (OSError, RuntimeError) as err:
            self._failure = err
        finally:
            loop.close()
            self._ready.set()

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise EmbeddedBrokerError(f"embedded broker did not listen on port {self.port}")
        if self._failure is not None:
            raise EmbeddedBrokerError(f"embedded broker failed: {self._failure}")

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(10)
        self._thread = None

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
