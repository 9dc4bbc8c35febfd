"""The samples of a simulated continuous oximetry session (`StreamModel` of a household).

One PLX Continuous sample a second: SpO2 and pulse wander around the
baseline (±1 % and ±2 /min, deterministic per seed); each desaturation
falls to its nadir over 15 s, holds, and recovers over 20 s, the pulse
rising by 10 /min meanwhile, as a COPD patient's night looks.
"""

from __future__ import annotations

import random

from devices.reading import Kind, Reading
from devices.sim.household_file import StreamModel

FALL_S = 15.0
RECOVER_S = 20.0


def _depth(second: float, model: StreamModel, base: float) -> tuple[float, float]:
    """How far below the baseline SpO2 is at ``second``, and how much the pulse rose."""
    for dip in model.desaturations:
        start = dip.after_minutes * 60
        drop = base - dip.nadir_pct
        into = second - start
        if 0 <= into < FALL_S:
            share = into / FALL_S
        elif FALL_S <= into < FALL_S + dip.seconds:
            share = 1.0
        elif FALL_S + dip.seconds <= into < FALL_S + dip.seconds + RECOVER_S:
            share = 1.0 - (into - FALL_S - dip.seconds) / RECOVER_S
        else:
            continue
        return drop * share, 10.0 * share
    return 0.0, 0.0


def stream_samples(model: StreamModel, seed: int) -> list[Reading]:
    rng = random.Random(seed)
    spo2, pulse = model.baseline.get("spo2_pct", 95.0), model.baseline.get("pulse_bpm", 75.0)
    samples = []
    for second in range(int(model.minutes * 60)):
        down, up = _depth(second, model, spo2)
        wander = 0.0 if down else rng.choice((-0.5, 0.0, 0.0, 0.5))
        samples.append(
            Reading(
                Kind.SPO2_CONTINUOUS,
                {
                    "spo2_pct": float(round(spo2 - down + wander)),
                    "pulse_bpm": float(round(pulse + up + rng.uniform(-2, 2))),
                },
                flags=("measurement_ongoing", "validated_data"),
            )
        )
    return samples
