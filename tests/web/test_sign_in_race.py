"""Sign-in throttling against a real `veille web`, with real concurrent requests.

Issue 17, finding 4: the lockout was check-then-act, so fifty parallel wrong
guesses with the right password at #45 gave 49 x 401 and 1 x 303, never 429.
Finding 6: one source could lock the on-call nurse out for everyone. Finding 5:
a loopback client's own X-Forwarded-For was believed.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.web.live import prepare, veille_web

PASSWORD = "right-password-for-claire"
PARALLEL = 50
RIGHT_AT = 44  # the 45th guess is the right password


def _client(url: str, source: str = "127.0.0.1", **headers: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=url, transport=transport, headers=headers, timeout=60)


def _csrf(client: httpx.Client) -> str:
    if "veille_csrf" not in client.cookies:
        client.get("/login").raise_for_status()
    return client.cookies["veille_csrf"]


def _sign_in(client: httpx.Client, name: str, password: str) -> int:
    token = _csrf(client)
    form = {"username": name, "password": password, "csrf": token}
    return client.post("/login", data=form).status_code


def _race(url: str, name: str) -> list[int]:
    """PARALLEL guesses released at once; the right password, at RIGHT_AT, goes once the
    five attempts the throttle may let through have been answered (as the 45th guess of
    a burst would), so whether it was refused does not depend on the threads' order."""
    clients = [_client(url) for _ in range(PARALLEL)]
    for client in clients:
        _csrf(client)
    start = threading.Barrier(PARALLEL)
    lock = threading.Lock()
    refused_wrong = [0]
    five_refused = threading.Event()

    def guess(i: int) -> int:
        start.wait(30)
        if i == RIGHT_AT:
            five_refused.wait(60)
            return _sign_in(clients[i], name, PASSWORD)
        status = _sign_in(clients[i], name, f"wrong-{i:02d}-guess")
        with lock:
            refused_wrong[0] += 1
            if refused_wrong[0] >= 5:
                five_refused.set()
        return status

    try:
        with ThreadPoolExecutor(PARALLEL) as pool:
            return list(pool.map(guess, range(PARALLEL)))
    finally:
        for client in clients:
            client.close()


@pytest.mark.integration
def test_parallel_guesses_reach_argon2_at_most_five_times(
    tmp_path: Path, database_url: str
) -> None:
    prepare(database_url, {"claire": PASSWORD})
    with veille_web(tmp_path, database_url) as url:
        statuses = _race(url, "claire")
        counts = Counter(statuses)
        # only the five reserved attempts are checked; the right password came too late
        assert counts[401] <= 5, counts
        assert statuses[RIGHT_AT] == 429, counts
        assert counts[429] >= PARALLEL - 5, counts
        assert set(counts) <= {401, 429}, counts
        with _client(url) as again:
            assert _sign_in(again, "claire", PASSWORD) == 429


@pytest.mark.integration
def test_a_stranger_cannot_lock_the_nurse_out_nor_escape_by_forged_headers(
    tmp_path: Path, database_url: str
) -> None:
    prepare(database_url, {"claire": PASSWORD})
    with veille_web(tmp_path, database_url) as url:
        with _client(url, "127.0.0.2") as stranger:
            for i in range(5):
                assert _sign_in(stranger, "claire", f"guess-{i}-of-five") == 401
            assert _sign_in(stranger, "claire", PASSWORD) == 429
            # reached directly, the client's own X-Forwarded-For is not believed
            for i in range(5):
                stranger.headers["X-Forwarded-For"] = f"198.51.100.{i + 1}"
                assert _sign_in(stranger, "claire", PASSWORD) == 429
        with _client(url, "127.0.0.3") as nurse:
            assert _sign_in(nurse, "claire", PASSWORD) == 303
    log = (tmp_path / "web.log").read_text()
    refused = [line for line in log.splitlines() if "sign_in_refused" in line]
    assert len(refused) == 11, log
    assert all("source=127.0.0.2" in line and "account_ref=" in line for line in refused), log
    assert "claire" not in log


@pytest.mark.integration
def test_unknown_and_existing_names_answer_alike(tmp_path: Path) -> None:
    url_db = f"sqlite:///{tmp_path / 'veille.db'}"
    prepare(url_db, {"claire": PASSWORD})
    with veille_web(tmp_path, url_db) as url, _client(url) as prober:
        for name in ("claire", "nobody-here"):
            answers = [_sign_in(prober, name, f"guess-{i}-of-six") for i in range(6)]
            assert answers == [401] * 5 + [429], (name, answers)
