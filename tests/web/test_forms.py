"""A form mistake gives the form again, in the reader's language, the input kept, never JSON;
the targets editor's checks; the readings CSV; the code view's label and its end."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from alerts.models import AlertTarget
from devices.reading import Kind
from sharing.codes import create_code
from tests.web.helpers import audit, csrf
from tests.web.world import NOW, World


def _is_page(answer: object) -> None:
    headers = getattr(answer, "headers", {})
    assert headers["content-type"].startswith("text/html"), "a form error answered JSON"


def test_empty_sign_in_and_wrong_password_keep_the_user_name(app: FastAPI) -> None:
    with TestClient(app, follow_redirects=False) as client:
        token = csrf(client, "/login")
        empty = client.post("/login", data={"csrf": token})
        assert empty.status_code == 422
        _is_page(empty)
        assert 'id="username-err">Ce champ est à remplir.' in empty.text
        wrong = client.post(
            "/login", data={"csrf": token, "username": "claire", "password": "nope"}
        )
        assert wrong.status_code == 401
        assert 'value="claire"' in wrong.text
        assert "Identifiant ou mot de passe incorrect." in wrong.text


def test_share_with_nothing_ticked_or_for_9999_days_gives_the_form_again(
    red_patient: TestClient, world: World
) -> None:
    token = csrf(red_patient, "/me")
    nothing = red_patient.post(
        "/me/grants", data={"csrf": token, "recipient": f"pro:{world.physician}", "days": "30"}
    )
    assert nothing.status_code == 422
    _is_page(nothing)
    assert 'id="share_kinds-err">Cochez au moins une mesure.' in nothing.text
    assert 'value="30"' in nothing.text
    assert f'value="pro:{world.physician}" selected' in nothing.text
    too_long = red_patient.post(
        "/me/grants",
        data={
            "csrf": token,
            "recipient": f"pro:{world.physician}",
            "kinds": ["weight"],
            "days": "9999",
        },
    )
    assert too_long.status_code == 422
    _is_page(too_long)
    assert 'id="share_days-err">Un nombre de jours entier entre 1 et 366.' in too_long.text
    assert 'value="9999"' in too_long.text
    assert 'id="share-weight" name="kinds" value="weight" checked' in too_long.text


def test_code_form_errors_are_pages_in_english_too(app: FastAPI) -> None:
    with TestClient(app, follow_redirects=False) as client:
        client.get("/lang/en")
        token = csrf(client, "/code")
        empty = client.post("/code", data={"csrf": token, "name": "Dr Who"})
        assert empty.status_code == 422
        _is_page(empty)
        assert 'id="code-err">This field is required.' in empty.text
        assert 'value="Dr Who"' in empty.text


def test_a_bad_query_on_a_page_is_a_page_and_json_stays_for_the_api(nurse: TestClient) -> None:
    page = nurse.get("/team/patients/p-red", params={"days": "abc"})
    assert page.status_code == 422
    _is_page(page)
    assert "Demande incomplète" in page.text
    api = nurse.get("/api/v1/patients/p-red/readings/glucose", params={"start": "abc"})
    assert api.status_code == 422
    assert api.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("field", "typed", "error"),
    [
        ("limits.systolic_mmhg", "500", "Valeur impossible ici : choisissez entre 20 et 320 mmHg."),
        ("limits.systolic_mmhg", "abc", "Ce n&#39;est pas un nombre."),
        ("limits.systolic_mmhg", "", "Ce champ est à remplir."),
        # the "too low" limit must stay below the home average's "too high" one
        ("limits.systolic_mmhg", "140", "doit rester en dessous du seuil haut de 135 mmHg"),
    ],
)
def test_an_absurd_target_is_refused_next_to_its_field(
    physician: TestClient, world: World, field: str, typed: str, error: str
) -> None:
    token = csrf(physician, "/team/alerts")
    answer = physician.post(
        "/team/patients/p-red/targets",
        data={"csrf": token, "rule": "bp_low_confirmed", field: typed, "reason": "essai"},
    )
    assert answer.status_code == 422
    _is_page(answer)
    assert error in answer.text
    assert f'value="{typed}"' in answer.text  # what was typed is kept
    assert 'value="essai"' in answer.text
    with world.sessions() as s:
        assert s.scalars(select(AlertTarget)).all() == []


def test_trend_rules_are_editable_with_a_decimal_comma_and_confirmed(
    physician: TestClient, world: World
) -> None:
    page = physician.get("/team/patients/p-red").text
    assert 'data-rule="bp_home_average"' in page  # mean systolic over N days
    assert 'data-rule="weight_gain_3d"' in page  # weight gain over N days
    assert "bp_home_average</" not in page  # the rule's id is never a visible word
    token = csrf(physician, "/team/alerts")
    done = physician.post(
        "/team/patients/p-red/targets",
        data={
            "csrf": token,
            "rule": "bp_home_average",
            "limits.systolic_mmhg": "130,5",
            "limits.diastolic_mmhg": "80",
            "window_days": "5",
            "reason": "diabétique, cible plus basse",
        },
    )
    assert done.status_code == 303
    confirmed = physician.get(done.headers["location"]).text
    assert "Cible enregistrée : Hypertension · à surveiller (version 1)." in confirmed
    assert 'value="130,5"' in confirmed
    with world.sessions() as s:
        target = s.scalars(select(AlertTarget)).one()
        assert target.params == {
            "limits": {"systolic_mmhg": 130.5, "diastolic_mmhg": 80.0},
            "window_days": 5.0,
        }


def test_rules_of_kinds_not_measured_are_folded(physician: TestClient) -> None:
    page = physician.get("/team/patients/p-green").text  # shares weight only
    assert 'data-rule="weight_gain_3d"' in page
    assert 'data-rule="glucose_level2_hypo"' not in page


def test_readings_csv_is_what_the_viewer_may_see_and_is_audited(
    nurse: TestClient, world: World
) -> None:
    before = len(audit(world, "p-red"))
    answer = nurse.get("/team/patients/p-red/readings/blood_pressure/export.csv?days=7")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == [
        "Heure",
        "Systolique (mmHg)",
        "Diastolique (mmHg)",
        "Pouls (/min)",
        "Remarques",
        "Appareil",
    ]
    assert len(rows) == 1 + 14
    assert rows[1][0].endswith("+01:00")  # Paris time, and it says so
    assert rows[1][5] == "tensiomètre"
    exports = [e for e in audit(world, "p-red")[before:] if e.purpose == "export"]
    assert len(exports) == 1
    refused = nurse.get("/team/patients/p-green/readings/glucose/export.csv")
    assert refused.status_code == 403


def test_code_view_names_the_patient_and_can_be_ended(app: FastAPI, world: World) -> None:
    with world.sessions() as s:
        created = create_code(s, "p-red", kinds=[Kind.WEIGHT], now=NOW, label="remplaçant")
        s.commit()
    with TestClient(app, follow_redirects=False) as client:
        token = csrf(client, "/code")
        opened = client.post("/code", data={"csrf": token, "code": created.code, "name": "Dr R"})
        assert opened.status_code == 303
        view = client.get(opened.headers["location"])
        assert "<h1>Mme Rouge (p-red)</h1>" in view.text
        assert "Terminer la consultation" in view.text
        bearer = client.cookies["veille_code"]
        ended = client.post("/code/end", data={"csrf": token})
        assert ended.status_code == 303
        client.cookies.set("veille_code", bearer)  # replayed: the session ended on the server
        assert client.get(opened.headers["location"]).status_code == 403


def test_emergency_access_without_a_real_reason_gives_the_form_again(nurse: TestClient) -> None:
    token = csrf(nurse, "/team/patients/p-green/break-glass")
    short = nurse.post("/team/patients/p-green/break-glass", data={"csrf": token, "reason": "vite"})
    assert short.status_code == 422
    _is_page(short)
    assert 'id="reason-err">Dites pourquoi l&#39;accès est urgent' in short.text
    assert ">vite</textarea>" in short.text
    empty = nurse.post("/team/patients/p-green/break-glass", data={"csrf": token})
    assert empty.status_code == 422
    _is_page(empty)
