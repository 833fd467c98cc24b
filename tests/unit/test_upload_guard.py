"""The upload guard answers before anything reads the body: too large (declared or streamed) or no live login.

Behind the guard sits what Reflex's /_upload does first: Starlette's multipart parser, which spools
every file into a temporary file. The driver below plays the server: it hands the body over in
1 MB messages and counts how much of it was ever asked for.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette import formparsers
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

import clss_app.clss_app  # noqa: F401  (registers the admins whose declarations set the limits)
from clss_app import db
from clss_app.demo import DEMO_PASSWORD
from clss_app.services import auth
from clss_app.upload_guard import MB, OVERHEAD, SESSION_HEADER, UploadGuard, limit_for, limits

IMPORT = (
    "reflex___state____state.clss_app___state____auth_state.clss_app___admin___state____admin_state"
    ".clss_app___admin___state____admin_io_state.upload_import"
)
BOUNDARY = "clssboundary"


class Spy:
    """What reached the application behind the guard."""

    def __init__(self):
        self.handled: list[list[bytes]] = []  # the files of every upload that reached the handler
        self.spooled = 0  # bytes the multipart parser wrote to temporary files

    def app(self):
        async def upload(request):
            try:
                form = await request.form()
            except ClientDisconnect:  # as Reflex's endpoint does: nothing to answer
                return Response()
            self.handled.append([await f.read() for f in form.getlist("files")])
            return PlainTextResponse("ok")

        return UploadGuard(Starlette(routes=[Route("/_upload", upload, methods=["POST"])]))


@pytest.fixture
def spy(monkeypatch):
    spy = Spy()

    class Spooled(formparsers.SpooledTemporaryFile):
        def write(self, data):
            spy.spooled += len(data)
            return super().write(data)

    monkeypatch.setattr(formparsers, "SpooledTemporaryFile", Spooled)
    return spy


def _post(app, headers: dict[str, str], body_chunks, path="/_upload"):
    """Run one request through ``app``; returns (status, text, bytes of the body the app asked for)."""

    async def run():
        chunks, asked, sent = iter(body_chunks), 0, []

        async def receive():
            nonlocal asked
            chunk = next(chunks, None)
            if chunk is None:
                return {"type": "http.request", "body": b"", "more_body": False}
            asked += len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": True}

        async def send(message):
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "scheme": "http",
            "server": ("test", 80),
            "client": ("test", 1),
            "http_version": "1.1",
            "asgi": {"version": "3.0"},
            "headers": [
                (k.lower().encode(), v.encode())
                for k, v in {
                    "content-type": f"multipart/form-data; boundary={BOUNDARY}",
                    "reflex-client-token": "tab",
                    "reflex-event-handler": IMPORT,
                    **headers,
                }.items()
            ],
        }
        await app(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        return start["status"], b"".join(m.get("body", b"") for m in sent[1:]).decode(), asked

    with ThreadPoolExecutor(1) as pool:  # a loop of its own (Playwright's may be running in this thread)
        return pool.submit(asyncio.run, run()).result()


def _multipart(content: bytes, name="rooms.xlsx") -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def _endless():
    """A multipart body that never ends, a MB at a time (up to 100 MB)."""
    yield _multipart(b"")[: -len(f"\r\n--{BOUNDARY}--\r\n")]
    for _ in range(100):
        yield b"x" * MB


@pytest.fixture
def token(demo_db):
    with db.session_scope() as s:
        return auth.login(s, "manager", DEMO_PASSWORD).token


def test_the_limits_follow_the_declarations():
    # 房间/户型 photos: 9 x 5 MB; import files: 20 MB; each plus the multipart framing.
    assert limits() == {"upload_field": 45 * MB + OVERHEAD, "upload_import": 20 * MB + OVERHEAD}
    assert limit_for(IMPORT) == 20 * MB + OVERHEAD
    assert limit_for("anything.else") == 45 * MB + OVERHEAD


def test_a_declared_length_over_the_limit_is_refused_unread(spy, token):
    status, text, asked = _post(spy.app(), {SESSION_HEADER: token, "content-length": str(1024 * MB)}, _endless())
    assert (status, text, asked) == (413, "上传内容超过 20 MB 上限，已拒绝", 0)
    assert (spy.handled, spy.spooled) == ([], 0)


@pytest.mark.parametrize("session", [None, "", "not-a-token", "logged-out"])
def test_no_live_session_is_refused_unread(spy, token, session):
    if session == "logged-out":
        with db.session_scope() as s:
            auth.logout(s, token)
        session = token
    headers = {SESSION_HEADER: session} if session is not None else {}
    status, text, asked = _post(spy.app(), {**headers, "content-length": str(MB)}, _endless())
    assert (status, text, asked) == (401, "请先登录后再上传", 0)
    assert (spy.handled, spy.spooled) == ([], 0)


@pytest.mark.parametrize("length", [None, "2000"])  # chunked, or a Content-Length that lies
def test_a_streamed_body_is_cut_off_at_the_limit(spy, token, length):
    headers = {SESSION_HEADER: token, **({"content-length": length} if length else {})}
    status, text, asked = _post(spy.app(), headers, _endless())
    assert (status, text) == (413, "上传内容超过 20 MB 上限，已拒绝")
    assert asked <= 20 * MB + OVERHEAD + MB  # not a MB more than the limit was ever read
    assert spy.handled == [] and spy.spooled <= 21 * MB


def test_a_logged_in_upload_within_the_limit_reaches_the_handler(spy, token):
    body = _multipart(b"PK\x03\x04 a sheet")
    status, text, asked = _post(spy.app(), {SESSION_HEADER: token, "content-length": str(len(body))}, [body])
    assert (status, text, asked) == (200, "ok", len(body))
    assert spy.handled == [[b"PK\x03\x04 a sheet"]]


def test_other_paths_pass_untouched(spy):
    status, _, _ = _post(spy.app(), {"content-length": str(1024 * MB)}, [b""], path="/_clss/health")
    assert status == 404  # not the guard's business: the app behind it answers
