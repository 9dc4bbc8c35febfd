"""Subcommands of `veille` that belong to `devices`: ``veille decode``.

``veille decode CHAR HEX`` prints one JSON object (the decode contract,
`Reading.as_decoded`). ``veille decode --batch`` reads ``CHAR HEX`` lines on stdin and
writes one JSON object per line, ``{"error": "..."}`` for a line that cannot
be decoded; errors are data in that form, so its exit status is 0 once stdin
is read. The single form exits 2 with a message on stderr for a malformed
payload, bad hex or an unknown characteristic, never with a traceback.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any, TextIO

from devices.decode import CHARACTERISTICS, decode
from veille.errors import DecodeError

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def parse_hex(text: str) -> bytes:
    """Payload bytes from hex as people paste it: either case, bytes run together or
    separated by spaces or colons, each group optionally ``0x``-prefixed (``0x00b036``,
    ``00 B0 36``, ``00:b0:36``, ``0x00 0xb0 0x36``). Anything else is refused, not guessed."""
    groups = [group for group in re.split(r"[\s:]+", text) if group]
    cleaned = "".join(group[2:] if group[:2] in ("0x", "0X") else group for group in groups)
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise DecodeError(f"{text!r} is not hexadecimal bytes (e.g. 00b036)") from None


def decode_line(char: str, hex_text: str) -> dict[str, Any]:
    return decode(char, parse_hex(hex_text)).as_decoded()


def _single(args: argparse.Namespace) -> int:
    if args.char is None or args.hex is None:
        print("veille decode: give CHAR HEX, or --batch to read lines from stdin", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        decoded = decode_line(args.char, args.hex)
    except DecodeError as error:
        print(f"veille decode: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(decoded))
    return EXIT_OK


def run_batch(lines: TextIO, out: TextIO) -> int:
    for line in lines:
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        try:
            if len(parts) != 2:
                raise DecodeError(f"expected 'CHAR HEX', got {line.strip()!r}")
            result: dict[str, Any] = decode_line(parts[0], parts[1])
        except DecodeError as error:
            result = {"error": str(error)}
        out.write(json.dumps(result) + "\n")
        out.flush()
    return EXIT_OK


def _handle(args: argparse.Namespace) -> int:
    if args.batch:
        if args.char is not None:
            print("veille decode: --batch reads stdin; give no CHAR HEX", file=sys.stderr)
            return EXIT_BAD_INPUT
        return run_batch(sys.stdin, sys.stdout)
    return _single(args)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add ``veille decode``."""
    parser = subparsers.add_parser(
        "decode",
        help="decode a GATT payload into a reading (JSON)",
        description="Decode a Bluetooth health characteristic payload. Characteristics: "
        + ", ".join(f"{uuid} ({codec.name})" for uuid, codec in CHARACTERISTICS.items()),
    )
    parser.add_argument("char", nargs="?", metavar="CHAR", help="16-bit UUID, e.g. 2A9D")
    parser.add_argument(
        "hex",
        nargs="?",
        metavar="HEX",
        help="payload in hex, e.g. 00b036 (any case; spaces, colons, 0x prefixes allowed)",
    )
    parser.add_argument(
        "--batch", action="store_true", help="read 'CHAR HEX' lines on stdin, one JSON per line"
    )
    parser.set_defaults(handler=_handle)
    register_devices(subparsers)


def _list_drivers(args: argparse.Namespace) -> int:
    """``veille devices list``: installed drivers, what each claims, who provided it."""
    from devices.registry import Registry, describe

    registry = Registry()
    for line in describe(registry):
        print(line)
    for problem in registry.problems:
        print(
            f"problem: {problem.entry_point} ({problem.distribution}): {problem.error}",
            file=sys.stderr,
        )
    return 1 if registry.problems else EXIT_OK


def register_devices(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add ``veille devices list``."""
    devices = subparsers.add_parser("devices", help="installed device drivers")
    actions = devices.add_subparsers(dest="devices_command", required=True)
    actions.add_parser(
        "list", help="drivers, the services each claims, their package"
    ).set_defaults(handler=_list_drivers)
