"""Random and mutated bytes never raise anything but `DecodeError`.

The seed is printed (``pytest -s``) and in every failure message; pin it
with ``VEILLE_FUZZ_SEED=<seed>`` to replay a failure exactly.
"""

from __future__ import annotations

import json
import os
import random
import secrets
from collections.abc import Callable
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codecs import clock, racp
from devices.decode import CHARACTERISTICS, decode
from devices.quirks import QUIRKS, decode_with_quirks
from tests.conftest import DATA
from veille.errors import DecodeError

ROUNDS = 10_000
SEED = int(os.environ.get("VEILLE_FUZZ_SEED", secrets.randbits(32)))

OTHER_DECODERS: dict[str, Callable[[bytes], object]] = {
    "racp_response": racp.decode_response,
    "racp_request": racp.decode_request,
    "date_time": clock.decode_date_time,
    "current_time": clock.decode_current_time,
    "battery_level": clock.decode_battery_level,
}
VECTOR_PAYLOADS = [
    (case["characteristic"], bytes.fromhex(case["hex"]))
    for case in json.loads((DATA / "gatt.json").read_text())["vectors"]
]


def mutate(rng: random.Random, payload: bytes) -> bytes:
    """Truncate, extend, flip a byte or set the flags byte at random."""
    data = bytearray(payload)
    choice = rng.randrange(4)
    if choice == 0:
        return bytes(data[: rng.randrange(len(data) + 1)])
    if choice == 1:
        return bytes(data) + rng.randbytes(rng.randrange(1, 8))
    if choice == 2 and data:
        data[rng.randrange(len(data))] = rng.randrange(256)
    elif data:
        data[0] = rng.randrange(256)
    return bytes(data)


def check(decoder: Callable[[bytes], object], payload: bytes, seed: int, label: str) -> None:
    try:
        decoder(payload)
    except DecodeError:
        pass
    except Exception as error:  # noqa: BLE001 (the point: anything else is the bug)
        pytest.fail(
            f"{label} raised {type(error).__name__}: {error} on {payload.hex()} "
            f"(replay with VEILLE_FUZZ_SEED={seed})"
        )


@pytest.mark.parametrize("char", list(CHARACTERISTICS))
def test_random_bytes_only_raise_decode_error(char: str) -> None:
    print(f"fuzz seed {SEED} (VEILLE_FUZZ_SEED to pin)")
    rng = random.Random(f"{SEED}-{char}")
    codec = CHARACTERISTICS[char]
    for _ in range(ROUNDS):
        check(codec.decode, rng.randbytes(rng.randrange(0, 48)), SEED, char)


def test_mutated_vectors_only_raise_decode_error() -> None:
    print(f"fuzz seed {SEED} (VEILLE_FUZZ_SEED to pin)")
    rng = random.Random(f"{SEED}-vectors")
    for _ in range(ROUNDS):
        char, payload = rng.choice(VECTOR_PAYLOADS)
        check(partial(decode, char), mutate(rng, payload), SEED, char)


@pytest.mark.parametrize("name", list(OTHER_DECODERS))
def test_small_characteristics_only_raise_decode_error(name: str) -> None:
    print(f"fuzz seed {SEED} (VEILLE_FUZZ_SEED to pin)")
    rng = random.Random(f"{SEED}-{name}")
    for _ in range(ROUNDS // 3):
        check(OTHER_DECODERS[name], rng.randbytes(rng.randrange(0, 16)), SEED, name)


@pytest.mark.parametrize(("manufacturer", "model"), list(QUIRKS), ids=[m for _, m in QUIRKS])
def test_quirk_rewrites_only_raise_decode_error(manufacturer: str, model: str) -> None:
    rng = random.Random(f"{SEED}-{model}")
    chars = {quirk.characteristic for quirk in QUIRKS[(manufacturer, model)]}
    for char in sorted(chars):
        for _ in range(ROUNDS // 3):

            def run(data: bytes, c: str = char) -> object:
                return decode_with_quirks(c, data, manufacturer=manufacturer, model=model)

            check(run, rng.randbytes(rng.randrange(0, 32)), SEED, f"{model} {char}")


@given(char=st.sampled_from(list(CHARACTERISTICS)), payload=st.binary(max_size=40))
def test_hypothesis_bytes_only_raise_decode_error(char: str, payload: bytes) -> None:
    """Every decode failure also says where in the payload it stopped."""
    failure: DecodeError | None = None
    try:
        decode(char, payload)
    except DecodeError as error:
        failure = error
    assert failure is None or failure.offset is not None
