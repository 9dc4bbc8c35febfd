"""`veille gateway status`: what an installer or support person needs to know, at the Pi.

Read from the gateway's own files (pairing store, outbox) opened read-only,
and its settings; the broker's retained status is added when the broker
answers within a short timeout (`gateway.status_broker`). Nothing here
prints a health value or anything but the pseudonymous patient id.

`problems` lists what needs a person: nothing paired, a paired device silent
longer than its driver's ``silent_after_h``, the outbox full, readings the
collector rejected or the broker refused, the gateway offline on the broker.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from gateway.outbox import Outbox
from gateway.pairing import GatewayStore, Pairing, Remembered
from gateway.settings import GatewaySettings
from veille.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose readings a device (or one user slot of it: ``user_index``) gives."""

    user_index: int | None
    patient: str
    #: a multi-user scale's last answer to this slot's consent (`devices.driver.Consent`)
    consent: str | None = None

    def __str__(self) -> str:
        slot = "" if self.user_index is None else f"user {self.user_index} "
        refused = f" [consent {(self.consent or '').replace('_', ' ')}]" if self.problem else ""
        return f"{slot}-> {self.patient}{refused}"

    @property
    def problem(self) -> bool:
        return self.consent is not None and self.consent != "given"


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    address: str
    driver: str
    patients: list[Owner]
    last_seen: float | None
    battery_pct: int | None
    clock_drift_s: float | None
    silent_s: float
    silent_after_s: float

    @property
    def silent(self) -> bool:
        return self.silent_s > self.silent_after_s


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    #: readings waiting for the collector's ack
    pending: int
    #: of those, not yet taken by the broker
    unpublished: int
    #: of those, refused by the broker at the last attempt (an ACL error, ...)
    refused: int
    oldest_pending_s: float | None
    #: rejected by the collector for good, per reason
    set_aside: dict[str, int]
    bound: int

    @property
    def full(self) -> bool:
        return self.pending >= self.bound


@dataclass(frozen=True, slots=True)
class BrokerStatus:
    """``state``: not_checked, unreachable, refused (credentials), no_status, online, offline."""

    state: str
    detail: str = ""
    uptime_s: float | None = None


@dataclass(slots=True)
class Report:
    gateway: str
    data_dir: str
    devices: list[DeviceStatus]
    outbox: OutboxStatus
    quarantined: int
    broker: BrokerStatus = field(default_factory=lambda: BrokerStatus("not_checked"))

    def problems(self) -> list[str]:
        found: list[str] = []
        if not self.devices:
            found.append("no device is paired: pair one with `veille pair`")
        for device in self.devices:
            if device.silent:
                since = "never heard from" if device.last_seen is None else "not heard from"
                found.append(
                    f"{device.address} ({device.driver}) {since} for {_span(device.silent_s)}"
                    f" (expected within {_span(device.silent_after_s)})"
                )
            for owner in device.patients:
                if owner.problem:
                    found.append(
                        f"{device.address} ({device.driver}) user {owner.user_index} ->"
                        f" {owner.patient}: {_CONSENT.get(owner.consent or '', owner.consent)};"
                        " this user's weighings are not taken (pair the slot again:"
                        " `veille pair ADDRESS --patient P --driver D --register`)"
                    )
        if self.outbox.full:
            found.append(
                f"the outbox is full ({self.outbox.pending} of {self.outbox.bound}): new readings"
                " stay on the devices until the collector acks"
            )
        if self.outbox.set_aside:
            count = sum(self.outbox.set_aside.values())
            found.append(f"{count} reading(s) rejected by the collector (see the reasons)")
        if self.outbox.refused:
            refused = self.outbox.refused
            found.append(f"{refused} reading(s) refused by the broker (ACL? gateway id?)")
        if self.broker.state == "offline":
            found.append("the broker says this gateway is offline (service stopped or no network)")
        return found

    def as_json(self) -> dict[str, Any]:
        body = asdict(self)
        for device, entry in zip(self.devices, body["devices"], strict=True):
            entry["silent"] = device.silent
        body["outbox"]["full"] = self.outbox.full
        problems = self.problems()
        body["healthy"] = not problems
        body["problems"] = problems
        return body


def _device(
    address: str, pairings: list[Pairing], memory: Remembered | None, settings: GatewaySettings
) -> DeviceStatus:
    driver = pairings[0].driver
    last_seen = memory.last_seen if memory is not None else None
    since = last_seen if last_seen is not None else min(p.paired for p in pairings)
    return DeviceStatus(
        address=address,
        driver=driver,
        patients=[Owner(p.user_index, p.patient, p.consent) for p in pairings],
        last_seen=last_seen,
        battery_pct=memory.battery_pct if memory is not None else None,
        clock_drift_s=memory.clock_drift_s if memory is not None else None,
        silent_s=max(0.0, time.time() - since),
        silent_after_s=settings.silent_after_s(driver),
    )


def collect(settings: GatewaySettings) -> Report:
    """The report from the local files; `ConfigError` when they are not there."""
    for path in (settings.pairing_path, settings.outbox_path):
        if not path.is_file():
            raise ConfigError(
                f"no {path.name} in {settings.data_dir}: wrong --data-dir or [gateway] data_dir,"
                " or the gateway has never run here"
            )
    store = GatewayStore(settings.pairing_path, read_only=True)
    try:
        memory = {m.address: m for m in store.devices()}
        by_device: dict[str, list[Pairing]] = {}
        for pairing in store.pairings():
            by_device.setdefault(pairing.address, []).append(pairing)
        devices = [_device(a, p, memory.get(a), settings) for a, p in sorted(by_device.items())]
        quarantined = store.quarantine_count()
    finally:
        store.close()
    outbox = Outbox(settings.outbox_path, max_rows=settings.outbox_max_rows, read_only=True)
    try:
        depth, oldest = outbox.depth(), outbox.oldest_added()
        box = OutboxStatus(
            pending=depth.waiting,
            unpublished=depth.unpublished,
            refused=depth.refused,
            oldest_pending_s=None if oldest is None else max(0.0, time.time() - oldest),
            set_aside=outbox.set_aside_by_reason(),
            bound=depth.bound,
        )
    finally:
        outbox.close()
    return Report(settings.id, str(settings.data_dir), devices, box, quarantined)


_CONSENT = {
    "refused": "the scale refused the consent code (slot re-registered on the scale?)",
    "unknown_user": "the scale has no such user any more (deleted on the scale, or reset)",
    "no_answer": "the scale did not answer the consent",
}


def _span(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


def _drift(seconds: float | None) -> str:
    if seconds is None:
        return "clock ?"
    sign = "-" if seconds < 0 else "+"
    return f"clock {sign}{_span(abs(seconds))}"


def render(report: Report) -> str:
    """The summary for a person: problems first, then devices, outbox, broker."""
    problems = report.problems()
    verdict = "needs attention" if problems else "healthy"
    lines = [f"gateway {report.gateway}: {verdict}"]
    lines += [f"  ! {problem}" for problem in problems]
    lines.append(f"devices ({len(report.devices)} paired)")
    for d in report.devices:
        seen = "never seen" if d.last_seen is None else f"last seen {_span(d.silent_s)} ago"
        battery = "battery ?" if d.battery_pct is None else f"battery {d.battery_pct} %"
        flag = "  SILENT" if d.silent else ""
        lines.append(f"  {d.address}  {d.driver}  {', '.join(map(str, d.patients))}")
        lines.append(f"      {seen}, {battery}, {_drift(d.clock_drift_s)}{flag}")
    box = report.outbox
    oldest = "" if box.oldest_pending_s is None else f", oldest {_span(box.oldest_pending_s)}"
    lines += [
        f"outbox ({report.data_dir})",
        f"  waiting for the collector's ack: {box.pending}{oldest}"
        f" ({box.unpublished} not yet taken by the broker)",
        f"  refused by the broker: {box.refused}",
        f"  rejected by the collector (set aside): {sum(box.set_aside.values())}",
    ]
    lines += [f"    {n} x {reason[:160]}" for reason, n in box.set_aside.items()]
    lines += [
        f"  {'FULL' if box.full else 'not full'} (bound {box.bound})",
        f"  kept aside, unpaired device or user slot: {report.quarantined}",
    ]
    broker = report.broker
    uptime = "" if broker.uptime_s is None else f", up {_span(broker.uptime_s)}"
    detail = f" ({broker.detail})" if broker.detail else ""
    lines.append(f"broker: {broker.state.replace('_', ' ')}{uptime}{detail}")
    return "\n".join(lines)
