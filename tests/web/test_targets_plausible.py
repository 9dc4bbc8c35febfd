"""Issue 17, finding 6, through the web: a physician's form cannot store a NaN, infinite or
impossible limit (the form's own checks belong to the targets editor; the rule refuses
them whatever the page does)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alerts.models import AlertTarget
from tests.web.helpers import csrf
from tests.web.world import World


@pytest.mark.parametrize("typed", ["nan", "inf", "-inf", "1e308", "-5"])
def test_the_targets_form_stores_no_impossible_limit(
    physician: TestClient, world: World, typed: str
) -> None:
    token = csrf(physician, "/team/alerts")
    form = {
        "rule": "glucose_level2_hypo",
        "reason": "testing a hostile value",
        "csrf": token,
        # the field's name in the editor before and after its rewrite
        "limit_glucose_mmol_l": typed,
        "limits.glucose_mmol_l": typed,
    }
    answer = physician.post("/team/patients/p-red/targets", data=form)
    assert answer.status_code in (400, 422), answer.status_code
    with world.sessions() as s:
        assert s.scalars(select(AlertTarget)).all() == []
