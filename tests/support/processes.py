"""Stopping a server a test started: ask politely, then insist, and always reap it."""

from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen[bytes], grace_s: float = 10) -> None:
    """SIGTERM, wait ``grace_s`` for a clean exit, else SIGKILL; never leave a zombie."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
