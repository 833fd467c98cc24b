"""Every error the API gives has one JSON shape: ``{"code", "message" (Chinese), "field"?}``.

``ApiError`` is raised by endpoints, ``core.errors.Refused`` by the services they call; FastAPI's own
errors (validation, 404 of an unknown path, 405) and anything unexpected (500, logged) are answered in
the same shape. A field's Chinese name comes from ``LABELS`` (filled by the declarations) so a 422
names it as the APP shows it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from clss_app.core.errors import Refused

log = logging.getLogger(__name__)

LABELS: dict[str, str] = {
    "limit": "每页条数",
    "cursor": "分页游标",
    "sort": "排序",
    "idempotency-key": "幂等键(Idempotency-Key)",
    "Idempotency-Key": "幂等键(Idempotency-Key)",
    "authorization": "登录凭证",
    "body": "请求体",
    "row_id": "编号",
}
STATUS_CODES = {
    400: ("bad_request", "请求有误"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "无权访问"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "请求冲突，请稍后重试"),
    413: ("too_large", "请求体过大"),
    422: ("invalid_field", "请求参数有误"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
    500: ("server_error", "服务器内部错误，请稍后重试"),
    501: ("not_implemented", "该功能尚未开放"),
    503: ("unavailable", "服务暂不可用，请稍后重试"),
}


class ErrorBody(BaseModel):
    """The one error shape (every 4xx and 5xx)."""

    code: str
    message: str
    field: str | None = None


class ApiError(Exception):
    def __init__(self, status: int, message: str = "", *, code: str = "", field: str | None = None) -> None:
        default_code, default_message = STATUS_CODES.get(status, ("error", "请求失败"))
        super().__init__(message or default_message)
        self.status, self.code = status, code or default_code
        self.message, self.field = message or default_message, field


# A field name that means another thing on one route than LABELS says (room_id: 意向房间 when booking a
# viewing, 报修房间 in a repair): (method, path under /api/v1, field) -> its name on that route.
ROUTE_LABELS: dict[tuple[str, str, str], str] = {}


def _route_label(request: Request, field: str) -> str:
    return next(
        (
            text
            for (method, path, name), text in ROUTE_LABELS.items()
            if name == field and request.method == method and request.url.path.endswith(path)
        ),
        "",
    )


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what}不存在或无权查看")


def label(name: str) -> str:
    return LABELS.get(name) or LABELS.get(name.lower()) or name


def answer(status: int, code: str, message: str, field: str | None = None, headers: dict | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status, headers=headers)


def _why(err: dict) -> str:
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    simple = {
        "missing": "不能为空",
        "int_parsing": "须为整数",
        "int_type": "须为整数",
        "float_parsing": "须为数字",
        "decimal_parsing": "须为数字",
        "bool_parsing": "须为是或否",
        "date_parsing": "须为日期（YYYY-MM-DD）",
        "date_from_datetime_parsing": "须为日期（YYYY-MM-DD）",
        "datetime_parsing": "须为时间（如 2026-01-31T14:00:00+08:00）",
        "datetime_from_date_parsing": "须为时间（如 2026-01-31T14:00:00+08:00）",
        "extra_forbidden": "不是可接受的字段",
        "string_type": "须为文字",
        "json_invalid": "不是有效的 JSON",
        "model_attributes_type": "须为 JSON 对象",
        "dict_type": "须为 JSON 对象",
        "string_pattern_mismatch": "格式不正确",
    }
    if kind in simple:
        return simple[kind]
    if kind == "string_too_long":
        return f"最多 {ctx.get('max_length')} 个字"
    if kind == "string_too_short":
        return f"至少 {ctx.get('min_length')} 个字"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于 {ctx.get('le', ctx.get('lt'))}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于 {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("literal_error", "enum"):
        return f"须为以下之一：{str(ctx.get('expected', '')).replace(' or ', ', ')}"
    return "格式不正确"


def _validation(request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    if not errors:
        return answer(422, "invalid_field", "请求参数有误")
    err = errors[0]
    names = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
    field = names[-1] if names and names[-1] not in ("query", "header", "body", "path") else "body"
    if field == "body" and err.get("type") in ("json_invalid", "model_attributes_type", "dict_type", "missing"):
        return answer(422, "invalid_body", "请求体须为 JSON 对象", "body")
    if err.get("type") == "extra_forbidden":
        return answer(422, "unknown_field", f"不接受的字段：{field}", field)
    return answer(422, "invalid_field", f"{_route_label(request, field) or label(field)}{_why(err)}", field)


def _http(request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    code, message = STATUS_CODES.get(status, ("error", "请求失败"))
    if status == 404:
        message = "接口不存在"
    headers = getattr(exc, "headers", None)
    return answer(status, code, message, headers=dict(headers) if headers else None)


def _api(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ApiError):
        return _unexpected(request, exc)
    headers = {"Retry-After": "60"} if exc.status == 429 else None
    return answer(exc.status, exc.code, exc.message, exc.field, headers)


def _refused(request: Request, exc: Exception) -> JSONResponse:
    """A service's ``Refused`` (raised through ``idempotency.run`` or ``db.session_scope``, which rolled
    everything back) answered as it says."""
    if not isinstance(exc, Refused):
        return _unexpected(request, exc)
    headers = {"Retry-After": "60"} if exc.status == 429 else None
    return answer(exc.status, exc.code, exc.message, exc.field, headers)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("API %s %s failed", request.method, request.url.path, exc_info=exc)
    return answer(500, "server_error", "服务器内部错误，请稍后重试")


def _nul_in(data: Any, name: str = "body") -> str | None:
    """The field of a JSON value holding a NUL character (its innermost named key), else None."""
    if isinstance(data, str):
        return name if "\x00" in data else None
    if isinstance(data, dict):
        return next((f for k, v in data.items() if (f := _nul_in(v, str(k)) or _nul_in(k, str(k)))), None)
    if isinstance(data, list):
        return next((f for v in data if (f := _nul_in(v, name))), None)
    return None


async def no_nul(request: Request) -> None:
    """Refuse text holding NUL (U+0000) in a query, JSON or form field, as that field's 422: PostgreSQL
    cannot store it (the driver raises, a 500) and no tenant means it. An app-wide dependency: it reads
    the body FastAPI has already read (cached on the request), after FastAPI refused a malformed one."""
    field = next((k for k, v in request.query_params.multi_items() if "\x00" in k + v), None)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if field is None and kind == "application/json":
        raw = await request.body()
        if b"\\u0000" in raw.lower():
            try:
                field = _nul_in(json.loads(raw))
            except ValueError:
                field = None
    elif field is None and kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form()
        field = next((k for k, v in form.multi_items() if isinstance(v, str) and "\x00" in k + v), None)
    if field is not None:
        raise ApiError(422, f"{label(field)}不能包含空字符（\\u0000）", code="invalid_field", field=field)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ApiError, _api)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(Exception, _unexpected)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": STATUS_CODES[status][1]} for status in (401, 404, 422, 429, 500)
}
