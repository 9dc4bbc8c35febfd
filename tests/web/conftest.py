"""Web fixtures: a real world on disk, the app on it, a client per role."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tests.support.postgres import Postgres
from tests.web.world import NOW, SECRET, World, build, close, password, reopen
from veille.clock import ManualClock
from web.app import create_app
from web.settings import WebSettings


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path]:
    """The world built once (password hashing and readings are slow), copied per test."""
    root = tmp_path_factory.mktemp("world")
    world = build(root)
    close(world)
    return world, root


@pytest.fixture
def world(template: tuple[World, Path], tmp_path: Path) -> Iterator[World]:
    built, root = template
    for name in ("veille.db", "readings.sqlite"):
        shutil.copy(root / name, tmp_path / name)
    world = reopen(built, tmp_path)
    yield world
    close(world)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def app(world: World, clock: ManualClock, tmp_path: Path) -> FastAPI:
    settings = WebSettings(
        data_dir=tmp_path,
        secret_key=SecretStr(SECRET),
        cookie_secure=False,
        triage_cache_seconds=0,
        housekeeping_hours=0,  # tests/web/test_housekeeping.py runs it
    )
    return create_app(settings, clock=clock, store=world.store, sessions=world.sessions)


def signed_in(app: FastAPI, name: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": name, "password": password(name), "csrf": client.cookies["veille_csrf"]},
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def nurse(app: FastAPI) -> Iterator[TestClient]:
    with signed_in(app, "claire") as client:
        yield client


@pytest.fixture
def physician(app: FastAPI) -> Iterator[TestClient]:
    with signed_in(app, "martin") as client:
        yield client


@pytest.fixture
def stranger(app: FastAPI) -> Iterator[TestClient]:
    with signed_in(app, "sam") as client:
        yield client


@pytest.fixture
def red_patient(app: FastAPI) -> Iterator[TestClient]:
    with signed_in(app, "p-red") as client:
        yield client


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One real PostgreSQL for the session; each test that asks gets its own database."""
    with Postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty relational database on each backend a server may use."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'veille.db'}"
    server: Postgres = request.getfixturevalue("postgres")
    return server.new_database()
