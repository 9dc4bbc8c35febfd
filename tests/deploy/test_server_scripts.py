"""The operator's scripts of deploy/server, run for real.

make-secrets.sh makes every secret compose.yaml mounts (and keeps them on a
second run); the image's entry point refuses to start without its secrets and
never prints them; the healthcheck sees a real TCP session and a real HTTP
answer.
"""

from __future__ import annotations

import http.server
import importlib.util
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from pydantic import BaseModel

from tests.deploy.broker import Peer, Refused, ShippedBroker
from wire import topics
from wire.reading import Identifier

SERVER = Path(__file__).resolve().parents[2] / "deploy" / "server"
ENTRYPOINT = SERVER / "docker-entrypoint.sh"
MAKE_CERTS = SERVER.parent / "mosquitto" / "make-certs.sh"


class WireGateway(BaseModel):
    """The gateway field of a veille.reading/1 envelope, alone."""

    gateway: Identifier


def run_make_secrets(out: Path, *gateways: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECRETS_DIR": str(out), "MQTT_HOSTNAME": "mqtt.example.org"}
    return subprocess.run(
        ["bash", str(SERVER / "make-secrets.sh"), *gateways],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stack") / "secrets"
    run_make_secrets(out, "gw-0001")
    return out


def test_make_secrets_makes_every_secret_compose_mounts(secrets: Path) -> None:
    compose = yaml.safe_load((SERVER / "compose.yaml").read_text())
    for name in compose["secrets"]:
        if name == "mqtt_passwords":  # starts empty: add-gateway-password.sh fills it
            assert (secrets / name).exists()
            continue
        assert (secrets / name).stat().st_size > 0, name
    assert oct((secrets).stat().st_mode & 0o777) == "0o700"
    assert (secrets / "pki" / "gw-0001.crt").exists()


def test_database_url_carries_the_postgres_password(secrets: Path) -> None:
    password = (secrets / "postgres_password").read_text()
    assert len(password) >= 40
    url = (secrets / "database_url").read_text()
    assert url == f"postgresql+psycopg://veille:{password}@postgres:5432/veille"


def test_broker_certificate_names_every_way_to_reach_it(secrets: Path) -> None:
    text = subprocess.run(
        [
            "openssl",
            "x509",
            "-in",
            str(secrets / "mqtt_broker_cert"),
            "-noout",
            "-ext",
            "subjectAltName",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in ("mqtt.example.org", "mosquitto", "localhost"):
        assert f"DNS:{name}" in text


def test_client_certificates_are_signed_by_the_ca_with_their_account_as_cn(secrets: Path) -> None:
    for account in ("collector", "rules", "healthcheck"):
        cert = secrets / f"mqtt_{account}_cert"
        subprocess.run(
            ["openssl", "verify", "-CAfile", str(secrets / "mqtt_ca"), str(cert)],
            check=True,
            capture_output=True,
        )
        subject = subprocess.run(
            ["openssl", "x509", "-in", str(cert), "-noout", "-subject"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert subject.strip().endswith(f"CN = {account}")


def test_make_secrets_keeps_what_exists(secrets: Path) -> None:
    before = {path.name: path.read_bytes() for path in secrets.iterdir() if path.is_file()}
    run_make_secrets(secrets, "gw-0002")
    after = {path.name: path.read_bytes() for path in secrets.iterdir() if path.is_file()}
    assert after == before
    assert (secrets / "pki" / "gw-0002.crt").exists()


def entrypoint(env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *command],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_entrypoint_hands_secret_contents_to_the_command(tmp_path: Path) -> None:
    url = tmp_path / "database_url"
    url.write_text("postgresql+psycopg://veille:s3cr3t@postgres/veille\n")
    result = entrypoint({"FILE__VEILLE_DATABASE__URL": str(url)}, "env")
    assert result.returncode == 0, result.stderr
    env = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert env["VEILLE_DATABASE__URL"] == "postgresql+psycopg://veille:s3cr3t@postgres/veille"
    assert "FILE__VEILLE_DATABASE__URL" not in env


@pytest.mark.parametrize("content", [None, ""], ids=["missing", "empty"])
@pytest.mark.parametrize(
    "variable", ["FILE__VEILLE_DATABASE__URL", "VEILLE_BROKER__CERT_FILE", "VEILLE_BROKER__CA_FILE"]
)
def test_entrypoint_refuses_to_start_without_a_secret(
    tmp_path: Path, variable: str, content: str | None
) -> None:
    path = tmp_path / "secret"
    if content is not None:
        path.write_text(content)
    result = entrypoint({variable: str(path)}, "echo", "started")
    assert result.returncode == 78
    assert "started" not in result.stdout
    assert variable in result.stderr
    assert "make-secrets.sh" in result.stderr


def load_healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("healthcheck", SERVER / "healthcheck.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_healthcheck_sees_an_established_connection() -> None:
    healthcheck = load_healthcheck()
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        assert not healthcheck.established_to(port)
        with socket.create_connection(("127.0.0.1", port)):
            peer, _ = server.accept()
            with peer:
                assert healthcheck.established_to(port)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        """Quiet: the test asserts on exit codes."""


@pytest.fixture
def http_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("path", "code"), [("/healthz", 0), ("/broken", 1)])
def test_healthcheck_http(http_port: int, path: str, code: int) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(SERVER / "healthcheck.py"),
            "http",
            f"http://127.0.0.1:{http_port}{path}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == code, result.stderr


def test_operator_scripts_pass_shellcheck() -> None:
    scripts = [
        *sorted((SERVER.parent / "mosquitto").glob("*.sh")),
        *sorted(SERVER.rglob("*.sh")),
    ]
    assert len(scripts) >= 5
    result = subprocess.run(
        ["shellcheck", *map(str, scripts)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("bad", ["gw/evil", "gw+", "#", "gw a", ".gw", "x" * 65, "ca", "broker"])
def test_make_certs_refuses_an_id_that_would_break_the_acl_or_its_files(
    tmp_path: Path, bad: str
) -> None:
    result = subprocess.run(
        ["bash", str(MAKE_CERTS), "-o", str(tmp_path / "pki"), "-H", "localhost", bad],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "make-certs:" in result.stderr
    assert not list(tmp_path.glob("pki/*.crt"))


def test_make_certs_accepts_every_gateway_id_the_wire_format_accepts(tmp_path: Path) -> None:
    for name in ("gw-0001", "site.lyon:gw_7", "A" * 64):
        assert WireGateway.model_validate({"gateway": name}).gateway == name
    subprocess.run(
        [
            "bash",
            str(MAKE_CERTS),
            "-o",
            str(tmp_path),
            "-H",
            "localhost",
            "gw-0001",
            "site.lyon:gw_7",
            "A" * 64,
        ],
        check=True,
        capture_output=True,
    )
    assert (tmp_path / "site.lyon:gw_7.crt").exists()


def add_password(secrets: Path, gateway: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SERVER / "add-gateway-password.sh"), gateway],
        env={**os.environ, "SECRETS_DIR": str(secrets)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_gateway_password_lets_that_gateway_in_and_only_under_its_prefix(
    secrets: Path, tmp_path: Path
) -> None:
    added = add_password(secrets, "gw-0007")
    assert added.returncode == 0, added.stderr
    password = added.stdout.strip()
    assert len(password) >= 30
    assert password not in (secrets / "mqtt_passwords").read_text()  # hashed
    server = ShippedBroker(
        tmp_path, {"gw-0007": "", "gw-0008": ""}, password_file=secrets / "mqtt_passwords"
    )
    server.start()
    try:
        ca = server.certs / "ca.crt"
        gateway = Peer("gw-0007").connect(server.password_port, password=password, ca=ca)
        try:
            assert gateway.publish(topics.reading("gw-0007", "weight")) in (0x00, 0x10)
            assert gateway.publish(topics.reading("gw-0008", "weight")) == 0x87
        finally:
            gateway.close()
        with pytest.raises(Refused):
            Peer("gw-0008").connect(server.password_port, password=password, ca=ca)
    finally:
        server.stop()


@pytest.mark.parametrize("bad", ["collector", "rules", "healthcheck", "gw/x", "#"])
def test_add_gateway_password_refuses_service_accounts_and_bad_ids(secrets: Path, bad: str) -> None:
    before = (secrets / "mqtt_passwords").read_text()
    result = add_password(secrets, bad)
    assert result.returncode == 2
    assert result.stdout == ""
    assert (secrets / "mqtt_passwords").read_text() == before
