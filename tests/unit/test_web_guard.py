"""WebGuard: security headers, a CSP naming each page's inline scripts, cross-origin refusals."""

import base64
import gzip
import hashlib

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from clss_app.web_guard import WebGuard
from tests.unit.test_handlers import _run  # a loop of its own: Playwright's may be running here

SCRIPT = b'window.__ctx = {"a": 1};'
PAGE = b"<html><head><script>" + SCRIPT + b'</script><script src="/x.js"></script></head></html>'


async def _ws(websocket):
    await websocket.accept()
    await websocket.send_text("hi")
    await websocket.close()


def _client(**kw) -> TestClient:
    app = Starlette(
        routes=[
            Route("/page", lambda r: HTMLResponse(PAGE)),
            Route(
                "/zipped",
                lambda r: Response(gzip.compress(PAGE), media_type="text/html", headers={"content-encoding": "gzip"}),
            ),
            Route("/data", lambda r: JSONResponse({"ok": True}), methods=["GET", "POST"]),
            WebSocketRoute("/_event/", _ws),
        ]
    )
    return TestClient(WebGuard(app), base_url="http://clss.test", **kw)


def _sha(script: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"


async def _pathsend_page(scope, receive, send):
    """What granian does with a FileResponse: the body as a path to send from disk."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
    await send({"type": "http.response.pathsend", "path": scope["page_path"]})


def test_a_page_sent_from_disk_gets_its_csp_too(tmp_path):
    page = tmp_path / "index.html"
    page.write_bytes(PAGE)
    sent = []

    async def run():
        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(message):
            sent.append(message)

        await WebGuard(_pathsend_page)(
            {"type": "http", "path": "/", "headers": [], "page_path": str(page)}, receive, send
        )

    _run(run())
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.pathsend"]
    assert _sha(SCRIPT) in dict(sent[0]["headers"])[b"content-security-policy"].decode()


@pytest.mark.parametrize("path", ["/page", "/zipped"])
def test_pages_get_a_csp_naming_their_inline_scripts(path):
    r = _client().get(path)
    policy = r.headers["content-security-policy"]
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'", _sha(SCRIPT), "'unsafe-eval'"]
    assert "'unsafe-inline'" not in script_src and "frame-ancestors 'none'" in policy
    assert r.content == PAGE  # the body itself is untouched
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"


def test_every_response_gets_the_headers_and_hsts_only_over_tls():
    r = _client().get("/data")
    assert r.headers["x-content-type-options"] == "nosniff" and "strict-transport-security" not in r.headers
    r = _client().get("/data", headers={"x-forwarded-proto": "https"})
    assert r.headers["strict-transport-security"].startswith("max-age=")


def test_cross_origin_requests_are_refused_unless_configured(monkeypatch):
    c = _client()
    assert c.post("/data", headers={"origin": "http://clss.test"}).status_code == 200
    refused = c.post("/data", headers={"origin": "https://evil.example"})
    assert refused.status_code == 403 and "跨站" in refused.text
    monkeypatch.setenv("CLSS_ALLOWED_ORIGINS", "https://admin.example.com, https://evil.example/")
    assert c.post("/data", headers={"origin": "https://evil.example"}).status_code == 200


def test_cross_origin_websockets_are_refused():
    c = _client()  # (Starlette's test client asks websockets of host "testserver")
    with c.websocket_connect("/_event/", headers={"origin": "http://testserver"}) as ws:
        assert ws.receive_text() == "hi"
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        c.websocket_connect("/_event/", headers={"origin": "http://testserver.evil.example"}),
    ):
        pass
    assert refused.value.code == 1008
