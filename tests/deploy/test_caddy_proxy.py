"""A real Caddy (Debian's `caddy`) in front of a real `veille web`: per-source limits see
the real client, and nobody else's X-Forwarded-For is believed.

Issue 17, finding 5. Two clients reach Caddy from different loopback source
addresses (127.0.0.2 and 127.0.0.3); Caddy sets X-Forwarded-For from the
connection (it ignores a client's own header), and the app trusts Caddy's
address only (``[web] trusted_proxies``). Reached directly, with the default
of no trusted proxy, a client's forged X-Forwarded-For changes nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.processes import stop
from tests.web.live import prepare, prepare_code, veille_web, wait_until_up
from veille.mqtt import free_port

PASSWORD = "right-password-for-claire"


@contextmanager
def caddy_in_front_of(upstream: str, workdir: Path) -> Iterator[str]:
    """Caddy on a free loopback port proxying to ``upstream``; yields its base URL."""
    binary = shutil.which("caddy")
    if binary is None:
        raise RuntimeError("caddy not found: install Debian's caddy (scripts/setup.sh --test)")
    port = free_port()
    config = workdir / "Caddyfile"
    config.write_text(
        "{\n\tadmin off\n\tauto_https off\n}\n"
        f"http://:{port} {{\n\tbind 127.0.0.1\n\treverse_proxy {upstream.removeprefix('http://')}\n}}\n"
    )
    home = workdir / "caddy-home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
    }
    log = (workdir / "caddy.log").open("wb")
    process = subprocess.Popen(
        [binary, "run", "--config", str(config), "--adapter", "caddyfile"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, name="caddy", log=workdir / "caddy.log")
        yield url
    finally:
        stop(process)
        log.close()


def client(url: str, source: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=url, transport=transport, timeout=30)


def _csrf(browser: httpx.Client) -> str:
    if "veille_csrf" not in browser.cookies:
        browser.get("/login").raise_for_status()
    return browser.cookies["veille_csrf"]


def sign_in(browser: httpx.Client, password: str, **headers: str) -> int:
    form = {"username": "claire", "password": password, "csrf": _csrf(browser)}
    return browser.post("/login", data=form, headers=headers).status_code


def redeem(browser: httpx.Client, code: str, **headers: str) -> int:
    form = {"code": code, "name": "Dr Lee", "csrf": _csrf(browser)}
    return browser.post("/code", data=form, headers=headers).status_code


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path / 'veille.db'}"
    prepare(url, {"claire": PASSWORD})
    return url, prepare_code(url)


@pytest.mark.integration
def test_behind_caddy_each_client_has_its_own_limits(
    tmp_path: Path, database: tuple[str, str]
) -> None:
    url, code = database
    with (
        veille_web(tmp_path, url, trusted_proxies="127.0.0.1") as app,
        caddy_in_front_of(app, tmp_path) as caddy,
        client(caddy, "127.0.0.2") as stranger,
        client(caddy, "127.0.0.3") as nurse,
    ):
        for i in range(5):
            # the stranger's own header is replaced by Caddy, so it cannot pose as others
            assert sign_in(stranger, f"guess-{i}", **{"X-Forwarded-For": f"203.0.113.{i}"}) == 401
        assert sign_in(stranger, PASSWORD, **{"X-Forwarded-For": "203.0.113.99"}) == 429
        for i in range(5):
            assert redeem(stranger, f"ZZZZ-ZZZ{i}", **{"X-Forwarded-For": f"203.0.113.{i}"}) == 403
        assert redeem(stranger, code) == 429
        # the nurse, behind the same proxy, is neither locked out nor rate limited
        assert redeem(nurse, code) == 303
        assert sign_in(nurse, PASSWORD) == 303
    log = (tmp_path / "web.log").read_text()
    assert "source=127.0.0.2" in log
    assert "203.0.113." not in log


@pytest.mark.integration
def test_reached_directly_a_clients_forwarded_for_is_ignored(
    tmp_path: Path, database: tuple[str, str]
) -> None:
    url, code = database
    with veille_web(tmp_path, url) as app, client(app, "127.0.0.1") as guesser:
        answers = [
            redeem(guesser, f"ZZZZ-ZZZ{i % 10}", **{"X-Forwarded-For": f"198.51.100.{i}"})
            for i in range(8)
        ]
        assert answers == [403] * 5 + [429] * 3
        assert redeem(guesser, code, **{"X-Forwarded-For": "198.51.100.200"}) == 429
