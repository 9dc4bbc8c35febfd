"""Relational tables of the collector: who may send what, and what was refused.

``gateway_pairings`` is the server's source of truth for ingest authority:
a row says that a gateway serves a patient (optionally: through one device),
since when and until when. It is written when a home is set up (``veille
collector pair``, the demo), never by a gateway over MQTT: what a gateway
says about itself is what is being checked. ``gateway_refusals`` counts, per
gateway and reason, the readings the collector refused; it is the record the
programme's technical contact reads (``veille collector refusals``) and what
the rules worker notifies them of. Rows are never deleted: a pairing ends
(``ended_at``), so the history of who sent what stays readable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from veille.db import Base, UTCDateTime


class GatewayPairing(Base):
    """Gateway ``gateway_id`` may send readings of ``patient_id`` (from ``device_address``,
    or any of its devices when NULL) measured from ``paired_at`` minus the device's
    storage horizon on; nothing once ``ended_at`` has passed."""

    __tablename__ = "gateway_pairings"
    __table_args__ = (Index("ix_gateway_pairings_gateway", "gateway_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gateway_id: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    #: upper-case Bluetooth address; NULL: any device of this gateway for this patient
    device_address: Mapped[str | None] = mapped_column(String(64))
    paired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class GatewayRefusal(Base):
    """How many readings of ``gateway_id`` were refused for ``category``, and the last why.

    ``reported`` is the count the technical contact was last told of: a notice
    goes out when ``count`` has grown past it."""

    __tablename__ = "gateway_refusals"

    gateway_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    reported: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_reason: Mapped[str] = mapped_column(Text)
