"""The API answers as its OpenAPI says, whatever it is sent: schemathesis generates valid and
invalid requests for every operation of /api/v1/openapi.json and runs every check on the
answers (no 5xx, documented statuses, content types, headers and bodies, 401 without the
token, 405 with Allow...), with an agent's, a curator's and a staff member's token.

Bounded and deterministic (tests/integration/app/openapi_fuzz.toml: seed, examples per
operation); real PostgreSQL and Meilisearch, through the Flask app (WSGI).
"""

from __future__ import annotations

from pathlib import Path

import hypothesis
import pytest
import schemathesis
from schemathesis.config import OperationConfig, SchemathesisConfig
from schemathesis.core.failures import FailureGroup

from app.search import api as search_api

CONFIG = Path(__file__).with_name("openapi_fuzz.toml")
ROLES = ("agent", "curator", "staff")
# The least role that may call each operation: its coverage phase (every boundary of every
# field, the costly part) runs with that role's token only; the other roles get the fuzzing
# phase. An operation missing here gets the coverage phase with every role.
LEAST_ROLE = {
    "GET /api/v1/search": "agent",
    "GET /api/v1/risk-factors": "agent",
    "GET /api/v1/tools/{slug}": "agent",
    "POST /api/v1/tools/{slug}/feedback": "agent",
    "GET /api/v1/ranking/weights": "agent",
    "POST /api/v1/tools": "curator",
    "PATCH /api/v1/tools/{slug}": "curator",
    "PUT /api/v1/ranking/weights": "staff",
    "POST /api/v1/ranking/preview": "staff",
}


@pytest.fixture(params=ROLES)
def role(request):
    return request.param


@pytest.fixture
def tokens(make_user, token_for):
    return {role: token_for(make_user(role)) for role in ROLES}


@pytest.fixture
def catalogue(make_tool):
    """A small published catalogue, so that slugs exist."""
    make_tool(slug="carte-des-risques", risk_factors=["addictions"])
    make_tool(slug="balance-decisionnelle", risk_factors=["addictions", "emploi"])


def _openapi(app, headers, role=None):
    """The app's own OpenAPI, every request sent with `headers` (as the CLI's -H)."""
    config = SchemathesisConfig.from_path(CONFIG)
    project = config.projects.default
    project.update(headers=headers)
    project.operations.operations.extend(
        OperationConfig.from_dict(
            {"include-name": name, "phases": {"coverage": {"enabled": False}}}
        )
        for name, least in LEAST_ROLE.items()
        if role is not None and least != role
    )
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


@pytest.fixture
def api_schema(app, catalogue, tokens, role):
    return _openapi(app, tokens[role], role)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_every_operation_answers_as_the_openapi_says(case):
    case.call_and_validate()


def test_chains_of_operations_answer_as_the_openapi_says(api_schema):
    """The stateful phase: operations chained through the links the OpenAPI implies."""
    api_schema.as_state_machine().run(
        settings=hypothesis.settings(
            max_examples=8,
            stateful_step_count=4,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )


def test_an_answer_unlike_the_openapi_fails_the_run(app, catalogue, tokens, monkeypatch):
    """The checks do fail: a search hit missing a declared field is reported."""

    def _hit_without_why(hit, why):
        return {key: value for key, value in original(hit, why).items() if key != "why"}

    original = search_api._hit
    case = _openapi(app, tokens["agent"])["/api/v1/search"]["GET"].Case(query={})
    monkeypatch.setattr(search_api, "_hit", _hit_without_why)
    with pytest.raises(FailureGroup, match='"why" is a required property'):
        case.call_and_validate(headers=tokens["agent"])
    monkeypatch.undo()
    case.call_and_validate(headers=tokens["agent"])  # the same request, the app as it is
