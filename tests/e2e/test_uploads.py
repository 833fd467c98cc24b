"""Uploads on the real server: refused at the door without a login or over the limit; forms without files save."""

import contextlib
import http.client
import socket
import time
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.e2e.conftest import go, login
from tests.e2e.test_admin_engine import rows

IMPORT = (
    "reflex___state____state.clss_app___state____auth_state.clss_app___admin___state____admin_state"
    ".clss_app___admin___state____admin_io_state.upload_import"
)
MB = 1024 * 1024


def _headers(session: str | None) -> dict[str, str]:
    return {
        "Content-Type": "multipart/form-data; boundary=b",
        "Reflex-Client-Token": "any-tab",
        "Reflex-Event-Handler": IMPORT,
        **({"X-CLSS-Session": session} if session is not None else {}),
    }


def _declared(base_url: str, session: str | None, length: int) -> tuple[int, str, float]:
    """Only the headers of a POST declaring ``length`` bytes: no byte of the body is ever sent."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    started = time.monotonic()
    conn.putrequest("POST", "/_upload")
    for k, v in {**_headers(session), "Content-Length": str(length)}.items():
        conn.putheader(k, v)
    conn.endheaders()
    r = conn.getresponse()
    answer = (r.status, r.read().decode(), time.monotonic() - started)
    conn.close()
    return answer


def _streamed(base_url: str, session: str, most_mb: int = 200) -> tuple[int, int]:
    """A chunked POST that sends 1 MB chunks until the server answers; (status, MB sent by then)."""
    url = urlsplit(base_url)
    sock = socket.create_connection((url.hostname, url.port), timeout=30)
    head = "".join(f"{k}: {v}\r\n" for k, v in {**_headers(session), "Transfer-Encoding": "chunked"}.items())
    sock.sendall(f"POST /_upload HTTP/1.1\r\nHost: {url.netloc}\r\n{head}\r\n".encode())
    part = b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.xlsx"\r\n\r\n'
    sock.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n")  # one file part that never ends
    chunk = f"{MB:x}\r\n".encode() + b"x" * MB + b"\r\n"
    reply, sent = b"", 0
    try:
        while sent < most_mb and not reply:
            try:
                sock.sendall(chunk)
            except OSError:  # the server answered and stopped reading
                break
            sent += 1
            sock.settimeout(0.05)
            with contextlib.suppress(TimeoutError):
                reply = sock.recv(4096)
            sock.settimeout(30)
        while b"\r\n" not in reply:
            more = sock.recv(4096)
            if not more:
                break
            reply += more
    finally:
        sock.close()
    return int(reply.split(b" ")[1]), sent


def test_uploads_are_refused_at_the_door(page, base_url):
    assert _declared(base_url, None, 5 * MB)[:2] == (401, "请先登录后再上传")
    assert _declared(base_url, "forged-token", 5 * MB)[:2] == (401, "请先登录后再上传")
    login(page, "manager")
    expect(page.locator("#current-role")).to_have_text("店长")
    token = page.evaluate("localStorage.getItem('clss_token')")
    status, text, took = _declared(base_url, token, 1024 * MB)  # 1 GB declared, nothing sent
    assert (status, text) == (413, "上传内容超过 20 MB 上限，已拒绝") and took < 10
    status, sent = _streamed(base_url, token)  # chunked: no length to judge by
    assert status == 413 and sent < 200, sent


def test_a_unit_type_without_photos_saves(page):
    login(page, "principal")
    expect(page.locator("#current-role")).to_have_text("负责人")
    go(page, "/housing/unit-types")
    rows(page).first.get_by_text("编辑").click()
    thumbs = page.locator("#images-photos [data-image] button")
    while thumbs.count():  # whatever photos an earlier test gave it: none now
        thumbs.first.click()
    expect(page.locator("#images-photos [data-image]")).to_have_count(0)
    page.locator("#form-save").click()
    expect(page.get_by_text("已保存")).to_be_visible()
