"""Deny by default: every route declares who may use it (public or a role)."""

from __future__ import annotations

# flask-smorest's own documentation routes: the OpenAPI document is public on purpose.
DOCUMENTATION = {"api-docs.openapi_json"}


def _declared(view) -> bool:
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return hasattr(view, "required_role")
    methods = [getattr(view_class, m.lower()) for m in view_class.methods]
    return all(hasattr(method, "required_role") for method in methods)


def test_every_route_declares_its_role(app):
    undeclared = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in DOCUMENTATION and not _declared(app.view_functions[rule.endpoint])
    ]
    assert undeclared == []


def test_api_routes_require_a_token(app):
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint not in DOCUMENTATION:
            url = rule.rule.replace("<slug>", "x")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                response = client.open(url, method=method, json={})
                assert response.status_code == 401, (method, url, response.status_code)
