"""The tenant's bearer token as a FastAPI dependency: ``who: TenantToken = Depends(tenant)``.

``CurrentTenant`` is the annotation to write: ``def endpoint(who: CurrentTenant)``.
A request without a live token is answered 401; past CLSS_API_PER_MINUTE requests of one token in a
minute (counted across workers, services/rate_limit.py), 429. Every tenant query is scoped by
``who.tenant_id``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from clss_app import db, settings
from clss_app.api.errors import ApiError
from clss_app.services import rate_limit, tenant_auth
from clss_app.services.tenant_auth import TenantToken

bearer = HTTPBearer(auto_error=False, description="短信验证码登录所得的令牌：Authorization: Bearer <token>")


def tenant(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> TenantToken:
    token = credentials.credentials if credentials and credentials.scheme.lower() == "bearer" else None
    if not token:
        raise ApiError(401, "请先登录", code="unauthorized")
    with db.session_scope() as s:
        who = tenant_auth.check_token(s, token)
    if who is None:
        raise ApiError(401, "登录已失效，请重新登录", code="token_invalid")
    limit = settings.api_per_minute()
    if not rate_limit.take(f"token:{who.token_id}", limit, 60):
        raise ApiError(429, f"请求过于频繁：每分钟最多 {limit} 次，请稍后再试", code="too_many_requests")
    return who


CurrentTenant = Annotated[TenantToken, Depends(tenant)]
