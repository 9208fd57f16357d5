"""The OpenAPI document describes the requests the server takes, not only its answers.

Found by schemathesis (tests/security/schemathesis_hooks.py, docs in README "Schemathesis"): the
document gave `POST /api/recruitments` no request body and neither recruitment operation its
`Authorization: Bearer` token, so every request a client built from the document (no body, no
token) was refused (415, 401) and the API's real input was never fuzzed."""
from __future__ import annotations

from involve.web.app import create_app


def _doc() -> dict:
    return create_app().openapi()


def test_start_recruitment_declares_its_json_body():
    doc = _doc()
    op = doc["paths"]["/api/recruitments"]["post"]
    body = op["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/RecruitmentIn"}
    schema = doc["components"]["schemas"]["RecruitmentIn"]
    assert {"title", "staff_group", "borough", "interview_date"} <= set(schema["required"])
    assert schema["additionalProperties"] is False
    created = op["responses"]["201"]["content"]["application/json"]["schema"]
    assert set(created["required"]) == {"reference", "status"}


def test_recruitment_operations_declare_the_bearer_token():
    doc = _doc()
    assert doc["components"]["securitySchemes"]["staffToken"] == {
        "type": "http", "scheme": "bearer",
        "description": "a staff token from `involve staff token` (role hr or coordinator)"}
    for method, path in (("post", "/api/recruitments"), ("get", "/api/recruitments/{reference}")):
        assert doc["paths"][path][method]["security"] == [{"staffToken": []}], (method, path)
    # the webhooks are signed, not token-authenticated: no security requirement there
    assert "security" not in doc["paths"]["/webhooks/claims"]["post"]
