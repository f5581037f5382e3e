"""schemathesis against the server's OpenAPI schema, on SQLite and PostgreSQL: no request,
valid or not, gets a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from sync.protocol import API_PREFIX
from sync.server import admin
from tests.sync.conftest import Server
from tests.sync.helpers import DeviceSigner


@pytest.fixture
def tokens(server: Server, api_schema: schemathesis.BaseSchema) -> dict[str, str]:
    """Coordinator requests carry this token; device requests are signed by the enrolled
    device of ``api_schema`` (its DeviceSigner replaces whatever token they carry)."""
    return {
        "device": "replaced-by-the-signer",
        "coordinator": admin.add_coordinator(server.settings, "console"),
    }


@pytest.fixture
def api_schema(server: Server) -> schemathesis.BaseSchema:
    signer = DeviceSigner(server.app, server.enrolled())
    server.app.state.signer = signer
    loaded = schemathesis.openapi.from_asgi(f"{API_PREFIX}/openapi.json", signer)
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
    if path.startswith((f"{API_PREFIX}/coordinator", f"{API_PREFIX}/devices")):
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
        assert set(response.json()) <= {"detail", "wipe", "errors", "counter"}


def test_schema_runs_reached_both_success_and_refusal() -> None:
    """Guards against a run that generated nothing useful (runs after the one above)."""
    assert any(s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses)
    reached = {(m, p, s) for m, p, s in seen}
    assert ("POST", f"{API_PREFIX}/envelopes", 200) in reached
    assert ("POST", f"{API_PREFIX}/envelopes", 422) in reached  # negative cases were generated

