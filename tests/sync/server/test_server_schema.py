"""schemathesis against the server's OpenAPI schema: no request, valid or not, gets a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from sync.server import admin
from tests.sync.conftest import Server


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def tokens(server: Server) -> dict[str, str]:
    device = server.enrolled()
    return {
        "device": str(device.token),
        "coordinator": admin.add_coordinator(server.settings, "console"),
    }


@pytest.fixture
def api_schema(server: Server) -> schemathesis.BaseSchema:
    loaded = schemathesis.openapi.from_asgi("/api/v1/openapi.json", server.app)
    loaded.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")
statuses: list[int] = []
seen: list[tuple[str, str, int]] = []


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_no_server_errors(case: schemathesis.Case, tokens: dict[str, str]) -> None:
    path = case.path
    if path.startswith("/api/v1/coordinator") or path.startswith("/api/v1/devices"):
        token = tokens["coordinator"]
    else:
        token = tokens["device"]
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
    )
    assert response.status_code < 500, (case.method, path, response.status_code)
    statuses.append(response.status_code)
    seen.append((case.method, case.path, response.status_code))
    if response.status_code >= 400:
        assert set(response.json()) <= {"detail", "wipe", "errors"}


def test_schema_runs_reached_both_success_and_refusal() -> None:
    """Guards against a run that generated nothing useful (runs after the one above)."""
    assert any(s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses)
    reached = {(m, p, s) for m, p, s in seen}
    assert ("POST", "/api/v1/envelopes", 200) in reached
    assert ("POST", "/api/v1/envelopes", 422) in reached  # negative cases were generated

