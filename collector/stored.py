"""Reading a stored reading back, whatever an older collector let into the store.

Before ingest checked plausibility (`collector.plausibility`), a store could
receive ``Infinity``, ``-Infinity`` (JSON tokens pydantic accepts) and keep
them; the pages, charts and FHIR export then failed on them. A stored value
that is not a finite number is read as null, the rule of the whole data
model ("a metric whose value is not a number is null, never a number"); the
row itself stays in the store untouched (an export of raw rows keeps it).
Finite values are returned as stored, however implausible: the pages show
them as they are.
"""

from __future__ import annotations

import math

from pydantic import ValidationError
from pydantic_core import from_json

from wire.reading import WireReading


def stored_reading(text: str | bytes) -> WireReading:
    """The reading of one stored row; non-finite metrics read as null."""
    try:
        reading = WireReading.model_validate_json(text)
    except ValidationError:  # a NaN a store kept: the model refuses NaN as a number
        data = from_json(text, allow_inf_nan=True)
        if isinstance(data, dict) and isinstance(data.get("metrics"), dict):
            data["metrics"] = {k: _finite(v) for k, v in data["metrics"].items()}
        return WireReading.model_validate(data)
    metrics = reading.metrics
    if all(v is None or math.isfinite(v) for v in metrics.values()):
        return reading
    return reading.model_copy(update={"metrics": {k: _finite(v) for k, v in metrics.items()}})


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
