"""The API's OpenAPI document validates (openapi-spec-validator, OpenAPI 3.1) and names every route the
app serves under /api/v1 (the docs page aside), each with the one error shape; the offline docs page
lists every operation and loads nothing from elsewhere."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from openapi_spec_validator import validate

from clss_app import tenant_api, tenant_api_lease, tenant_api_marketing
from clss_app.api import app as api_app
from clss_app.api import docs


def test_openapi_document_validates_and_holds_every_route():
    app = api_app.build()
    doc = app.openapi()
    validate(doc)
    # What the app serves: its own routes and those of the routers it includes.
    routes = [
        *app.routes,
        *tenant_api.router.routes,
        *tenant_api_marketing.router.routes,
        *tenant_api_lease.router.routes,
    ]
    served = {
        (method.lower(), route.path)
        for route in routes
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in route.methods
    }
    documented = {(m, path) for path, item in doc["paths"].items() for m in item if m in docs.METHODS}
    assert served == documented and len(served) >= 18, served ^ documented
    hidden = [r.path for r in app.routes if isinstance(r, APIRoute) and not r.include_in_schema]
    assert hidden == ["/docs"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status in ("401", "422") if path.startswith("/auth/") else ("401", "404", "422", "429"):
                schema = op["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_docs_page_lists_every_operation_offline():
    app = api_app.build()
    page = docs.page(app.openapi(), "/api/v1/openapi.json")
    for path in app.openapi()["paths"]:
        assert f"<code>{path}</code>" in page
    assert "<script" not in page and not re.search(r"(src|href)=\"https?://", page)
