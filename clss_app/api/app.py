"""The /api/v1 FastAPI app: errors in one shape, OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse

from clss_app.api import body_limit, docs, errors

PREFIX = "/api/v1"
DESCRIPTION = (
    "租客 APP 的接口。登录：POST /auth/sms-code 发送验证码，POST /auth/login 换取令牌，"
    "之后每个请求带 Authorization: Bearer <令牌>。错误统一为 {code, message, field?}，message 为中文。"
    "列表按游标分页：limit（每页条数）与上一页的 next_cursor。新建类 POST 须带 Idempotency-Key 请求头。"
)


def build() -> FastAPI:
    """The app mounted at PREFIX (its routes' paths are relative to it)."""
    from clss_app import tenant_api, tenant_api_lease, tenant_api_marketing

    app = FastAPI(
        title="CLSS 租客 APP 接口",
        version="v1",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        servers=[{"url": PREFIX}],
        dependencies=[Depends(errors.no_nul)],
    )
    errors.install(app)
    app.add_middleware(body_limit.BodyLimit)
    app.include_router(tenant_api.router)
    app.include_router(tenant_api_marketing.router)
    app.include_router(tenant_api_lease.router)

    @app.get("/docs", include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return HTMLResponse(docs.page(app.openapi(), PREFIX + "/openapi.json"))

    return app
