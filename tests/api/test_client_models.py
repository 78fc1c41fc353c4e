"""The API models are lenient: unknown fields kept, camelCase and snake_case both accepted, secrets hidden."""

from __future__ import annotations

from dragops_sync.models import AuthSession, Deployment, Pattern, PatternSummary, WebhookEndpoint


def test_unknown_fields_are_kept_and_camel_case_keys_fill_snake_case_attributes() -> None:
    pattern = Pattern.model_validate(
        {
            "id": "pat_1",
            "name": "A",
            "isPublic": True,
            "graphData": {"nodes": [], "edges": [], "variables": []},
            "versionNumber": 3,
            "createdAt": "2026-03-05T12:00:00.000Z",
            "ownerId": "usr_9",
        }
    )
    assert (pattern.is_public, pattern.version_number) == (True, 3)
    assert pattern.created_at is not None and pattern.created_at.tzinfo is not None
    assert pattern.model_extra == {"ownerId": "usr_9"}
    assert pattern.to_api()["graphData"]["variables"] == []
    assert PatternSummary(id="p", name="n", is_template=True).is_template is True


def test_a_deployment_accepts_either_id_key() -> None:
    status = Deployment.model_validate({"deploymentId": "dep_1", "status": "active"})
    listed = Deployment.model_validate({"id": "dep_2", "status": "paused", "patternId": "pat_1"})
    assert (status.deployment_id, listed.deployment_id, listed.pattern_id) == ("dep_1", "dep_2", "pat_1")
    assert status.to_api()["deploymentId"] == "dep_1"


def test_secrets_in_models_are_masked() -> None:
    session = AuthSession.model_validate({"token": "eyJ.SENTINEL.sig", "user": {"id": "usr_1"}})
    assert "SENTINEL" not in repr(session)
    assert "SENTINEL" not in session.model_dump_json()
    assert session.token.get_secret_value() == "eyJ.SENTINEL.sig"


def test_optional_fields_default_sensibly_for_sparse_answers() -> None:
    endpoint = WebhookEndpoint.model_validate({"id": "wh_1"})
    assert (endpoint.alias, endpoint.url, endpoint.require_signature) == (None, None, None)
