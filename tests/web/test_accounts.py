"""Sign-in: hashed passwords, cookie flags, CSRF on every form, lockout, sign-out."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from sharing.errors import InvalidRequest
from tests.web.conftest import signed_in
from tests.web.helpers import csrf
from tests.web.world import NOW, SECRET, World, password
from veille.clock import ManualClock
from veille.errors import ConfigError
from web.accounts import create_account, unsign
from web.models import Account
from web.settings import WebSettings


def _login(client: TestClient, name: str, secret: str) -> int:
    client.get("/login")
    token = client.cookies.get("veille_csrf") or client.cookies["__Host-veille_csrf"]
    response = client.post("/login", data={"username": name, "password": secret, "csrf": token})
    status: int = response.status_code
    return status


def test_password_is_stored_as_argon2_only(world: World) -> None:
    with world.sessions() as s:
        account = s.query(Account).filter_by(username="claire").one()
        assert account.password_hash.startswith("$argon2id$")
        assert password("claire") not in account.password_hash


def test_session_cookie_is_httponly_lax_and_secure_when_configured(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from web.app import create_app

    settings = WebSettings(data_dir=tmp_path, secret_key=SecretStr(SECRET), cookie_secure=True)
    app = create_app(settings, clock=ManualClock(NOW), store=world.store, sessions=world.sessions)
    client = TestClient(app, follow_redirects=False, base_url="https://testserver")
    assert _login(client, "claire", password("claire")) == 303
    header = next(h for h in client.cookies.jar if h.name == "veille_session")
    assert header.secure
    raw = [v for k, v in client.get("/login").headers.multi_items() if k == "set-cookie"]
    assert all("HttpOnly" in v for v in raw if v.startswith("veille_"))


def test_cookie_flags_on_sign_in_response(app: FastAPI) -> None:
    client = TestClient(app, follow_redirects=False)
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": "claire",
            "password": password("claire"),
            "csrf": client.cookies["veille_csrf"],
        },
    )
    cookie = response.headers["set-cookie"]
    assert "veille_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert unsign(client.cookies["veille_session"], SECRET.encode()) is not None
    assert unsign(client.cookies["veille_session"] + "x", SECRET.encode()) is None


def test_wrong_password_and_unknown_user_look_the_same(app: FastAPI) -> None:
    client = TestClient(app, follow_redirects=False)
    assert _login(client, "claire", "wrong-password") == 401
    assert _login(client, "nobody", "wrong-password") == 401


def test_lockout_after_repeated_failures_even_with_the_right_password(
    app: FastAPI, clock: ManualClock
) -> None:
    client = TestClient(app, follow_redirects=False)
    for _ in range(5):
        assert _login(client, "claire", "wrong-password") == 401
    client.get("/login")
    locked = client.post(
        "/login",
        data={
            "username": "claire",
            "password": password("claire"),
            "csrf": client.cookies["veille_csrf"],
        },
    )
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    clock.advance(timedelta(minutes=16))
    assert _login(client, "claire", password("claire")) == 303


def test_forms_without_the_csrf_token_are_refused(app: FastAPI, nurse: TestClient) -> None:
    client = TestClient(app, follow_redirects=False)
    client.get("/login")
    no_token = client.post("/login", data={"username": "claire", "password": password("claire")})
    assert no_token.status_code == 403
    assert nurse.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert nurse.get("/team").status_code == 200


def test_sign_out_ends_the_session_on_the_server(app: FastAPI) -> None:
    client = signed_in(app, "claire")
    stolen = client.cookies["veille_session"]
    token = csrf(client, "/team/alerts")
    assert client.post("/logout", data={"csrf": token}).status_code == 303
    replay = TestClient(app, follow_redirects=False, cookies={"veille_session": stolen})
    assert replay.get("/api/v1/me").status_code == 401


def test_session_expires(app: FastAPI, clock: ManualClock) -> None:
    client = signed_in(app, "claire")
    assert client.get("/api/v1/me").json()["role"] == "nurse"
    clock.advance(timedelta(hours=13))
    assert client.get("/api/v1/me").status_code == 401


def test_account_rules(world: World) -> None:
    with world.sessions() as s:
        with pytest.raises(InvalidRequest):
            create_account(s, "short", "123", now=NOW, patient_id="p-red")
        with pytest.raises(InvalidRequest):
            create_account(s, "both", "long enough pw", now=NOW)


def test_secret_key_is_required_and_long(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="secret_key_file"):
        WebSettings(data_dir=tmp_path).key()
    with pytest.raises(ConfigError, match="shorter"):
        WebSettings(secret_key=SecretStr("short")).key()
    key_file = tmp_path / "key"
    key_file.write_text(SECRET + "\n")
    assert WebSettings(secret_key_file=key_file).key() == SECRET.encode()


def test_security_headers(app: FastAPI) -> None:
    response = TestClient(app).get("/login")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def _secure_app(world: World, tmp_path: Path) -> FastAPI:
    from web.app import create_app

    settings = WebSettings(data_dir=tmp_path, secret_key=SecretStr(SECRET), cookie_secure=True)
    return create_app(settings, clock=ManualClock(NOW), store=world.store, sessions=world.sessions)


def test_anonymous_csrf_cookie_is_host_prefixed_when_secure(world: World, tmp_path: Path) -> None:
    client = TestClient(_secure_app(world, tmp_path), base_url="https://testserver")
    raw = [v for k, v in client.get("/login").headers.multi_items() if k == "set-cookie"]
    (csrf_cookie,) = [v for v in raw if "veille_csrf=" in v]
    assert csrf_cookie.startswith("__Host-veille_csrf=")
    attributes = {part.strip().split("=")[0].lower() for part in csrf_cookie.split(";")[1:]}
    assert {"secure", "path", "httponly", "samesite"} <= attributes
    assert "domain" not in attributes
    assert "Path=/;" in csrf_cookie or csrf_cookie.endswith("Path=/")


def test_a_planted_unprefixed_csrf_cookie_is_not_believed(world: World, tmp_path: Path) -> None:
    """A sibling subdomain can set ``veille_csrf`` for the parent domain, never ``__Host-``."""
    client = TestClient(
        _secure_app(world, tmp_path),
        base_url="https://testserver",
        follow_redirects=False,
        cookies={"veille_csrf": "planted-by-a-sibling-subdomain"},
    )
    form = {
        "username": "claire",
        "password": password("claire"),
        "csrf": "planted-by-a-sibling-subdomain",
    }
    assert client.post("/login", data=form).status_code == 403


def test_plain_http_loopback_keeps_a_working_csrf_cookie(app: FastAPI) -> None:
    """cookie_secure = false (demo, tests): no prefix, since browsers drop ``__Host-`` on HTTP."""
    client = TestClient(app, follow_redirects=False)
    assert _login(client, "claire", password("claire")) == 303
    assert "__Host-veille_csrf" not in client.cookies
