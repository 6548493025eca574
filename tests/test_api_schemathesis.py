"""Property-based tests generated from the OpenAPI document (schemathesis).

Every operation is run with generated requests as every role: no 5xx, every answer conforms to
the document (status, content type, headers, body schema), and an error never carries data.
``MATCHMAKER_API_FUZZ_EXAMPLES`` sets the examples per operation (default 6, kept small so the
whole run stays well under three minutes on a loaded machine).
"""

from __future__ import annotations

import json
import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import update

from matchmaker.extensions import db
from matchmaker.records import ApiToken
from tests.api_support import ROLES, bearer, cast_with_tokens

EXAMPLES = int(os.environ.get("MATCHMAKER_API_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "errors"}


def _no_data_in_errors(response) -> None:
    """A refused call answers a problem document and nothing else."""
    if response.status_code >= 400:
        body = json.loads(response.content or b"{}")
        assert set(body) <= PROBLEM_KEYS, body


def _own_records_only(people, role, case, response) -> None:
    """Lists of enterprises and universities hold their own organization's records only."""
    if response.status_code != 200 or case.method != "GET":
        return
    items = json.loads(response.content).get("items", [])
    if case.path == "/api/v1/needs" and role == "enterprise":
        assert all(i["enterprise"]["id"] == people["enterprise_org"].id for i in items)
    if case.path == "/api/v1/patents" and role == "university":
        assert all(i["owner"]["id"] == people["university_org"].id for i in items)


def test_every_operation_as_every_role(app_factory):
    app = app_factory({"API_RATE_LIMIT": "1000000/minute"})
    with app.app_context():
        people = cast_with_tokens()
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        count = {"cases": 0, "calls": 0}
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 18
        for operation in operations:

            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def run(case):
                count["cases"] += 1
                for role in ROLES:
                    headers = {**(case.headers or {}), **bearer(people["tokens"][role])}
                    response = case.call(headers=headers)
                    count["calls"] += 1
                    case.validate_response(response, checks=CHECKS, headers=headers)
                    _no_data_in_errors(response)
                    _own_records_only(people, role, case, response)
                    # A generated DELETE may revoke a token: keep every role able to call.
                    db.session.execute(update(ApiToken).values(revoked_at=None))
                    db.session.commit()

            run()
        print(f"schemathesis: {len(operations)} operations, {count['cases']} cases, "
              f"{count['calls']} calls")
        assert count["cases"] >= len(operations)
