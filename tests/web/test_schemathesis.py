"""schemathesis against the OpenAPI description: no input makes the API answer 5xx,
and every status code it answers is one the description lists.

Runs signed in as the nurse (most routes answer 200 or 403) and as a patient.
Driven through schemathesis' Python API (its pytest fixture loader does not
run on pytest 9), one Hypothesis run per operation.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.web.conftest import signed_in

CHECKS = [not_a_server_error, status_code_conformance]


@pytest.mark.parametrize("who", ["claire", "p-red"])
def test_api_never_answers_a_server_error(app: FastAPI, who: str) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    cookies = dict(signed_in(app, who).cookies)
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), [r.err() for r in results if isinstance(r, Err)]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def run(case: schemathesis.Case[Any]) -> None:
            response = case.call(cookies=cookies)
            case.validate_response(response, checks=CHECKS)

        run()
