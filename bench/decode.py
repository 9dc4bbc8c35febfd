"""Benchmark of the GATT decoders: payloads per second, per characteristic and overall.

Prints one JSON object. Payloads are the vectors of tests/data/gatt.json plus
encoded body composition, cuff pressure and glucose context records, decoded
in a closed loop in one process (a gateway decodes a few payloads a minute;
this says how far from any limit that is, and catches an accidental
quadratic or a regex in the hot path).

    python bench/decode.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devices.decode import CHARACTERISTICS, decode

EXTRA = {
    "2A9C": "fe0fc800ea07030e081e05024c1dc201401fb036a0327017a00fb036d606",
    "2A36": "048c00ff07ff074800",
    "2A34": "ff0500020332d005ff2c0119030ad03ff0",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per characteristic")
    args = parser.parse_args()
    vectors = json.loads((Path(__file__).parents[1] / "tests/data/gatt.json").read_text())
    payloads: dict[str, list[bytes]] = {char: [] for char in CHARACTERISTICS}
    for case in vectors["vectors"]:
        payloads[case["characteristic"]].append(bytes.fromhex(case["hex"]))
    for char, hex_payload in EXTRA.items():
        payloads[char].append(bytes.fromhex(hex_payload))
    per_char: dict[str, float] = {}
    for char, items in payloads.items():
        count, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < args.seconds:
            for payload in items:
                decode(char, payload)
            count += len(items)
        per_char[char] = round(count / elapsed)
    print(
        json.dumps(
            {
                "bench": "devices.decode",
                "payloads_per_s": per_char,
                "min_payloads_per_s": min(per_char.values()),
                "python": sys.version.split()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
