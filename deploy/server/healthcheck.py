#!/usr/bin/env python3
"""Container healthchecks for the Veille services (stdlib only).

    healthcheck.py connected PORT   a TCP connection to remote PORT is established
    healthcheck.py http URL         URL answers 2xx within 5 s

The collector and the rules workers listen on no port; what matters is that
they hold their session with the broker. `connected 8883` reads the kernel's
socket table of the container (/proc/net/tcp and tcp6, which only list this
network namespace) for an ESTABLISHED connection to the broker port, so it
needs no cooperation from the service and no credentials.
Exit status 0 healthy, 1 unhealthy, 2 usage.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from pathlib import Path

ESTABLISHED = "01"
TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))


def established_to(port: int, tables: tuple[Path, ...] = TABLES) -> bool:
    """Whether some socket here is ESTABLISHED to a remote ``port``."""
    for table in tables:
        try:
            lines = table.read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            remote, state = fields[2], fields[3]
            if state == ESTABLISHED and int(remote.rsplit(":", 1)[1], 16) == port:
                return True
    return False


def http_ok(url: str) -> bool:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"{url!r} is not an http(s) URL")
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (scheme checked)
            status: int = response.status
            return 200 <= status < 300
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return False


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "connected" and argv[1].isdigit():
        healthy = established_to(int(argv[1]))
        what = f"no established connection to port {argv[1]}"
    elif len(argv) == 2 and argv[0] == "http":
        healthy = http_ok(argv[1])
        what = f"{argv[1]} did not answer 2xx"
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if not healthy:
        print(f"unhealthy: {what}", file=sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
