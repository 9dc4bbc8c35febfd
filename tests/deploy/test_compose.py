"""The server stack's compose file holds together (Docker is not needed here).

`docker compose config` cannot run on this machine, so these tests read the
YAML and check what an operator would otherwise find at `up` time: every
service has a healthcheck, nothing secret is written inline, every secret a
service reads is mounted into it and made by make-secrets.sh, the broker runs
the shipped and tested config, and the Grafana dashboard asks for measurements
and fields that the Reading model actually has.
"""

from __future__ import annotations

import ipaddress
import json
import re
import stat
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts.worker import AlertsSettings
from collector.consumer import CollectorSettings
from collector.store import StoreSettings
from devices.reading import METRICS, Kind
from veille.config import load_section
from veille.db import DatabaseSettings
from veille.mqtt import BrokerSettings
from web.settings import WebSettings

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "deploy" / "server"
MOSQUITTO = ROOT / "deploy" / "mosquitto"
GRAFANA = ROOT / "deploy" / "grafana"
MQTT_SERVICES = ("collector-1", "collector-2", "rules-1", "rules-2")
VEILLE_SERVICES = (*MQTT_SERVICES, "web")
STORES = ("mosquitto", "influxdb", "postgres")
#: Docker secrets, and the scoped InfluxDB tokens made at first start.
SECRET_DIRS = ("/run/secrets/", "/run/influxdb-tokens/")
SECRET_WORDS = re.compile(
    r"PASSWORD|TOKEN|SECRET|PEPPER|_KEY\b|KEY_FILE|DATABASE__URL", re.IGNORECASE
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((SERVER / "compose.yaml").read_text())
    return data


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def secret_paths(value: object) -> set[str]:
    """Every /run/secrets/<name> mentioned anywhere in a value (env, command, test)."""
    return set(re.findall(r"/run/secrets/([A-Za-z0-9_.-]+)", json.dumps(value)))


def acl_users() -> set[str]:
    lines = (MOSQUITTO / "acl").read_text().splitlines()
    return {line.split()[1] for line in lines if line.startswith("user ")}


def test_the_stack_has_every_part_of_the_design(compose: dict[str, Any]) -> None:
    assert {*STORES, *VEILLE_SERVICES, "grafana", "caddy"} <= set(services(compose))


@pytest.mark.parametrize(
    "name", ["mosquitto", "influxdb", "postgres", *VEILLE_SERVICES, "grafana", "caddy"]
)
def test_every_service_has_a_healthcheck(compose: dict[str, Any], name: str) -> None:
    check = services(compose)[name]["healthcheck"]
    assert check["test"][0] in ("CMD", "CMD-SHELL")
    assert len(check["test"]) > 1


def test_one_shot_services_are_awaited_to_completion(compose: dict[str, Any]) -> None:
    one_shots = {n for n, s in services(compose).items() if s.get("restart") == "no"}
    assert one_shots == {"influxdb-tokens"}
    for name in VEILLE_SERVICES:
        depends = services(compose)[name]["depends_on"]
        assert depends["influxdb-tokens"] == {"condition": "service_completed_successfully"}


def test_no_secret_is_written_inline(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_WORDS.search(key) or key.startswith("FILE__"):
                assert str(value).startswith(SECRET_DIRS), f"{name}: {key} is not a file"


def test_every_secret_a_service_reads_is_mounted_and_declared(compose: dict[str, Any]) -> None:
    declared = compose["secrets"]
    for name, service in services(compose).items():
        mounted = set(service.get("secrets", []))
        used = secret_paths(
            [service.get("environment"), service.get("healthcheck"), service.get("command")]
        )
        assert used <= mounted, f"{name} reads secrets it is not given: {used - mounted}"
        assert mounted <= set(declared), f"{name} mounts undeclared {mounted - set(declared)}"
    for name, spec in declared.items():
        assert spec == {"file": f"./secrets/{name}"}


def test_secrets_directory_and_env_file_are_git_ignored() -> None:
    for path in (
        "deploy/server/secrets/mqtt_ca",
        "deploy/server/.env",
        "deploy/server/gw-0042.password",  # what add-gateway-password.sh's example writes
    ):
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False)
        assert ignored.returncode == 0, f"{path} would be committable"


def test_required_settings_are_documented_in_env_example() -> None:
    lines = (SERVER / "compose.yaml").read_text().splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    optional = set(re.findall(r"\$\{([A-Z_]+):-", text))
    example = (SERVER / "env.example").read_text()
    assert "VEILLE_DOMAIN" in required
    for var in required | (optional - {"VEILLE_IMAGE"}):
        assert re.search(rf"^{var}=", example, re.MULTILINE), f"{var} missing in env.example"
    assert re.search(r"^#?VEILLE_IMAGE=", example, re.MULTILINE)


def test_broker_runs_the_shipped_config_and_its_secrets(compose: dict[str, Any]) -> None:
    broker = services(compose)["mosquitto"]
    assert "../mosquitto:/mosquitto/config:ro" in broker["volumes"]
    conf = [
        line
        for line in (MOSQUITTO / "mosquitto.conf").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert secret_paths(conf) <= set(broker["secrets"])
    inside = {
        "/mosquitto/config/acl": MOSQUITTO / "acl",
        "/mosquitto/config/conf.d": MOSQUITTO / "conf.d",
    }
    for line in conf:
        key, _, value = line.partition(" ")
        if key in ("acl_file", "include_dir"):
            assert inside[value].exists(), f"{line}: nothing at {inside[value]}"
    # TLS only (no 1883): certificates on 8883, passwords on 8884
    assert broker["ports"] == ["${MQTT_PORT:-8883}:8883", "${MQTT_PASSWORD_PORT:-8884}:8884"]
    listener = (MOSQUITTO / "conf.d" / "password-listener.conf").read_text()
    assert "listener 8884\n" in listener
    assert "password_file /run/secrets/mqtt_passwords\n" in listener


def store_env(compose: dict[str, Any], name: str) -> dict[str, str]:
    """A service's reading-store settings: ``[store]``, or ``[web] store`` for the web app."""
    prefix = "VEILLE_WEB__STORE__" if name == "web" else "VEILLE_STORE__"
    env = services(compose)[name]["environment"]
    return {key.removeprefix(prefix): value for key, value in env.items() if key.startswith(prefix)}


def test_web_app_holds_no_broker_credentials(compose: dict[str, Any]) -> None:
    web = services(compose)["web"]
    assert not [secret for secret in web["secrets"] if secret.startswith("mqtt_")]
    assert not [key for key in web["environment"] if key.startswith("VEILLE_BROKER__")]


@pytest.mark.parametrize("name", MQTT_SERVICES)
def test_each_veille_service_has_its_own_broker_identity(
    compose: dict[str, Any], name: str
) -> None:
    env = services(compose)[name]["environment"]
    account = name.split("-")[0]
    assert env["VEILLE_BROKER__URL"].startswith("mqtts://mosquitto:8883")
    assert env["VEILLE_BROKER__CERT_FILE"] == f"/run/secrets/mqtt_{account}_cert"
    assert env["VEILLE_BROKER__KEY_FILE"] == f"/run/secrets/mqtt_{account}_key"
    assert account in acl_users(), f"the ACL has no rights for the {account} certificate"


#: Sections of the configuration, with the model each package validates them with.
SETTINGS: dict[str, type[Any]] = {
    "broker": BrokerSettings,
    "store": StoreSettings,
    "collector": CollectorSettings,
    "alerts": AlertsSettings,
    "database": DatabaseSettings,
    "web": WebSettings,
}


@pytest.mark.parametrize("name", VEILLE_SERVICES)
def test_service_settings_are_accepted_by_veilles_own_models(
    compose: dict[str, Any], name: str
) -> None:
    """What compose sets is what the packages read: a misspelt key or a bad value
    would otherwise surface as a crash loop at `up` time."""
    env: dict[str, str] = {}
    for key, value in services(compose)[name]["environment"].items():
        if key.startswith("FILE__"):  # the entry point puts the file's content here
            env[key.removeprefix("FILE__")] = "postgresql+psycopg://veille:x@postgres:5432/veille"
        else:
            env[key] = str(value)
    sections = {
        key.removeprefix("VEILLE_").split("__")[0].lower()
        for key in env
        if key.startswith("VEILLE_")
    }
    assert sections <= set(SETTINGS)
    for section in sections:
        load_section(SETTINGS[section], section, env=env)


@pytest.mark.parametrize("name", VEILLE_SERVICES)
def test_veille_services_wait_for_healthy_stores_and_run_hardened(
    compose: dict[str, Any], name: str
) -> None:
    service = services(compose)[name]
    conditions = {dep: spec["condition"] for dep, spec in service["depends_on"].items()}
    assert conditions == {
        **dict.fromkeys(STORES, "service_healthy"),
        "influxdb-tokens": "service_completed_successfully",
    }
    assert service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]
    assert service["build"]["dockerfile"] == "deploy/server/Dockerfile"


@pytest.mark.parametrize("worker", ["collector", "rules"])
def test_worker_replicas_differ_only_by_their_mqtt_identity(
    compose: dict[str, Any], worker: str
) -> None:
    """Same command and rights; a stable, distinct hostname (and client id) each."""
    replicas = {n: s for n, s in services(compose).items() if n.startswith(f"{worker}-")}
    assert len(replicas) >= 2
    first, *others = replicas.values()
    for service in others:
        assert service["command"] == first["command"]
        assert service["secrets"] == first["secrets"]
        assert "ports" not in service
        assert "container_name" not in service
    assert len({s["hostname"] for s in replicas.values()}) == len(replicas)
    key = {"collector": "VEILLE_COLLECTOR__CLIENT_ID", "rules": "VEILLE_ALERTS__CLIENT_ID"}[worker]
    assert len({s["environment"][key] for s in replicas.values()}) == len(replicas)


def test_stores_are_not_reachable_from_outside(compose: dict[str, Any]) -> None:
    assert compose["networks"]["backend"]["internal"] is True
    for name in ("influxdb", "postgres", "collector-1"):
        assert services(compose)[name]["networks"] == ["backend"]
        assert "ports" not in services(compose)[name]
    assert services(compose)["grafana"]["ports"] == ["127.0.0.1:3000:3000"]


def test_influx_bucket_and_database_are_the_same_everywhere(compose: dict[str, Any]) -> None:
    datasource = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "veille-influxdb.yaml").read_text()
    )["datasources"][0]
    init_script = SERVER / "influxdb" / "initdb.d" / "10-veille-v1.sh"
    init = init_script.read_text()
    influx = services(compose)["influxdb"]
    bucket = influx["environment"]["DOCKER_INFLUXDB_INIT_BUCKET"]
    org = influx["environment"]["DOCKER_INFLUXDB_INIT_ORG"]
    for name in VEILLE_SERVICES:
        store = store_env(compose, name)
        assert store["BACKEND"] == "influxdb"
        assert store["BUCKET"] == bucket
        assert store["ORG"] == org
        assert store["URL"] == "http://influxdb:8086"
    assert datasource["jsonData"]["dbName"] == bucket
    assert f"--db {bucket} " in init
    assert datasource["url"] == "http://influxdb:8086"
    assert datasource["user"] == "reader"
    assert "--username reader" in init
    assert secret_paths(datasource) <= set(services(compose)["grafana"]["secrets"])
    assert secret_paths(init) <= set(influx["secrets"])
    assert init_script.stat().st_mode & stat.S_IXUSR  # run-parts runs executables only
    assert "./influxdb/initdb.d:/docker-entrypoint-initdb.d:ro" in influx["volumes"]


def test_each_veille_service_gets_the_narrowest_influx_token(compose: dict[str, Any]) -> None:
    """The collector writes; the rules workers and the web app only read."""
    script = (SERVER / "influxdb" / "make-tokens.sh").read_text()
    grants = dict(re.findall(r"^token (\w+) (.*)$", script, re.MULTILINE))
    assert "--write-bucket" in grants["collector"]
    assert "--write-bucket" not in grants["reader"]
    for name in VEILLE_SERVICES:
        token = store_env(compose, name)["TOKEN_FILE"]
        assert (
            token
            == f"/run/influxdb-tokens/{'collector' if name.startswith('collector') else 'reader'}"
        )
    one_shot = services(compose)["influxdb-tokens"]
    assert "influxdb-tokens:/tokens" in one_shot["volumes"]
    assert secret_paths(script) <= set(one_shot["secrets"])


def dashboard_queries() -> list[str]:
    dashboard = json.loads((GRAFANA / "dashboards" / "patients.json").read_text())
    return [target["query"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_dashboard_reads_fields_the_reading_model_has() -> None:
    queries = dashboard_queries()
    pairs = set()
    for query in queries:
        match = re.search(r'SELECT (?:\w+\()?"(\w+)"\)? AS "[^"]+" FROM "(\w+)"', query)
        assert match, query
        field, measurement = match.groups()
        assert measurement in {kind.value for kind in Kind}
        assert field in METRICS
        assert '"patient" =~ /^$patient$/' in query
        assert "$timeFilter" in query
        pairs.add((measurement, field))
    assert {("weight", "weight_kg"), ("glucose", "glucose_mmol_l")} <= pairs
    assert {("blood_pressure", "systolic_mmhg"), ("blood_pressure", "diastolic_mmhg")} <= pairs


def test_dashboard_is_provisioned_with_a_patient_variable() -> None:
    dashboard = json.loads((GRAFANA / "dashboards" / "patients.json").read_text())
    (variable,) = dashboard["templating"]["list"]
    assert variable["name"] == "patient"
    assert variable["includeAll"]
    uids = {panel["datasource"]["uid"] for panel in dashboard["panels"]}
    provisioned = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "veille-influxdb.yaml").read_text()
    )
    assert uids == {provisioned["datasources"][0]["uid"]}
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "veille.yaml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"


def test_image_contains_every_python_package() -> None:
    """A package left out of the Dockerfile would install as a broken wheel."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {
        name.rstrip("*") for name in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    dockerfile = (SERVER / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, re.MULTILINE))
    assert copied == packages
    allowed = (SERVER / "Dockerfile.dockerignore").read_text().splitlines()
    assert {f"!{name}" for name in packages} <= set(allowed)
    assert "server" in pyproject["project"]["optional-dependencies"]


@pytest.mark.parametrize("name", ["collector-1", "collector-2"])
def test_each_collector_keeps_its_dead_letters_on_its_own_volume(
    compose: dict[str, Any], name: str
) -> None:
    """The root file system is read-only: the dead-letter file needs a volume, one per
    replica (SQLite is not shared between processes on different hosts)."""
    service = services(compose)[name]
    path = Path(service["environment"]["VEILLE_COLLECTOR__DEAD_LETTER_PATH"])
    mounts = dict(volume.split(":")[:2][::-1] for volume in service["volumes"])
    assert mounts[str(path.parent)] == f"{name}-data"
    assert f"{name}-data" in compose["volumes"]
    assert (
        "install -d -o veille -g veille /var/lib/veille/data" in (SERVER / "Dockerfile").read_text()
    )


def test_web_believes_forwarded_headers_from_caddys_fixed_address_only(
    compose: dict[str, Any],
) -> None:
    """Issue 17, finding 5: uvicorn trusted 127.0.0.1 while Caddy was another container, so
    every user was Caddy's address and five wrong codes locked redemption for everybody."""
    proxy = compose["networks"]["proxy"]
    assert proxy["internal"] is True
    [subnet] = [entry["subnet"] for entry in proxy["ipam"]["config"]]
    caddy = services(compose)["caddy"]["networks"]
    address = caddy["proxy"]["ipv4_address"]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(subnet)
    on_proxy = {
        name
        for name, service in services(compose).items()
        if "proxy" in (service.get("networks") or [])
    }
    assert on_proxy == {"caddy", "web"}
    web = services(compose)["web"]
    assert "edge" not in web["networks"]
    settings = load_section(
        WebSettings,
        "web",
        env={k: str(v) for k, v in web["environment"].items() if not k.startswith("FILE__")},
    )
    assert settings.trusted_proxies == [address]
    assert "reverse_proxy web:8000" in (SERVER / "Caddyfile").read_text()
