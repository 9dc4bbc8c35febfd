"""`veille sharing ...` from the command line, on a real SQLite file named by the environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sharing.codes import digest, normalise
from sharing.policy import ALPHABET
from sharing.settings import SharingSettings
from veille.cli import main
from veille.config import load_section
from veille.errors import ConfigError


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]], str]:
    code = main(["sharing", *argv])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_operator_sets_up_a_patient_shares_and_revokes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VEILLE_DATABASE__URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("VEILLE_SHARING__CODE_PEPPER", "a-test-pepper")
    monkeypatch.delenv("VEILLE_CONFIG", raising=False)
    assert run(capsys, "migrate")[0] == 0  # as a server would (Alembic)
    assert run(capsys, "patient-add", "p-7f3a", "--label", "Mme A.")[1] == [
        {"patient": "p-7f3a", "label": "Mme A.", "time_zone": "Europe/Paris", "language": "fr"}
    ]
    [team] = run(capsys, "team-add", "Cardiologie")[1]
    [nurse] = run(
        capsys, "professional-add", "Claire", "--role", "nurse", "--team", str(team["team"])
    )[1]
    assert nurse["role"] == "nurse"
    assert run(capsys, "enrol", "p-7f3a", str(team["team"]))[0] == 0
    status, [grant], _ = run(
        capsys,
        "grant",
        "p-7f3a",
        "--team",
        str(team["team"]),
        "--kinds",
        "weight,glucose",
        "--alerts",
        "--days",
        "90",
    )
    assert status == 0
    assert grant["kinds"] == ["glucose", "weight"]
    assert grant["alerts"] is True
    [code] = run(capsys, "code", "p-7f3a", "--kinds", "weight", "--hours", "2", "--uses", "1")[1]
    assert set(normalise(code["code"])) <= set(ALPHABET)
    assert code["max_uses"] == 1
    assert run(capsys, "revoke", "p-7f3a", str(grant["grant"]))[0] == 0
    assert [g["status"] for g in run(capsys, "grants", "p-7f3a")[1]] == ["revoked"]
    # a revoked grant needs no reminder
    assert run(capsys, "daily")[1] == [{"reminders": 0, "attempts_purged": 0}]
    lines = run(capsys, "audit", "p-7f3a", "--lang", "en")[1]
    assert [line["event"] for line in lines] == ["grant_revoked", "code_created", "grant_created"]
    assert lines[0]["text"] == "You stopped sharing with the team “Cardiologie”."


def test_demo_seed_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VEILLE_DATABASE__URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("VEILLE_CONFIG", raising=False)
    run(capsys, "init-db")
    status, [world], _ = run(capsys, "demo-seed", "p-1", "p-2", "p-3", "p-4")
    assert status == 0
    assert world["patients"] == ["p-1", "p-2", "p-3", "p-4"]
    assert [g["kinds"] for g in run(capsys, "grants", "p-3")[1]] == [["weight"]]
    assert run(capsys, "grants", "p-4")[1] == []


def test_bad_requests_exit_2_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VEILLE_DATABASE__URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("VEILLE_CONFIG", raising=False)
    run(capsys, "init-db")
    run(capsys, "patient-add", "p-1")
    [team] = run(capsys, "team-add", "T")[1]
    status, out, err = run(
        capsys, "grant", "p-1", "--team", str(team["team"]), "--kinds", "weight", "--days", "999"
    )
    assert (status, out) == (2, [])
    assert "at most 366 days" in err
    status, _, err = run(capsys, "revoke", "p-1", "42")
    assert status == 2
    assert "not one of yours" in err


def test_pepper_comes_from_a_file_or_the_environment(tmp_path: Path) -> None:
    secret = tmp_path / "pepper"
    secret.write_text("s3cret\n")
    from_file = load_section(
        SharingSettings, "sharing", env={"VEILLE_SHARING__CODE_PEPPER_FILE": str(secret)}
    )
    from_env = load_section(
        SharingSettings, "sharing", env={"VEILLE_SHARING__CODE_PEPPER": "s3cret"}
    )
    assert from_file.code_policy().pepper == from_env.code_policy().pepper == b"s3cret"
    assert "s3cret" not in repr(from_env) + repr(from_env.code_policy())
    assert digest("ABCDEFGH", from_file.code_policy()) != digest("ABCDEFGH")
    with pytest.raises(ConfigError, match="code_pepper_file"):
        SharingSettings(code_pepper_file=tmp_path / "missing").code_policy()


def test_a_new_patient_gets_an_unguessable_id_and_old_short_ids_keep_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 17, finding 2: ids such as ``p-7f3a`` have 65,536 possible values."""
    import math
    import re

    from sharing.identities import _ALPHABET, PATIENT_ID_BITS

    monkeypatch.setenv("VEILLE_DATABASE__URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("VEILLE_CONFIG", raising=False)
    assert run(capsys, "init-db")[0] == 0
    made = {run(capsys, "patient-add")[1][0]["patient"] for _ in range(20)}
    assert len(made) == 20
    for patient in made:
        match = re.fullmatch(rf"p-([{_ALPHABET}]+)", patient)
        assert match is not None, patient
        assert len(match.group(1)) * math.log2(len(_ALPHABET)) >= 96
    assert PATIENT_ID_BITS >= 96
    assert run(capsys, "patient-add", "p-7f3a")[1][0]["patient"] == "p-7f3a"  # still accepted
