"""/_clss/media serves a stored image only as what its bytes are, and tells the browser not to guess."""

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from clss_app.core import media
from tests.images import png

NAME = "0123456789abcdef0123456789abcdef"


def _client(tmp_path, monkeypatch) -> TestClient:
    monkeypatch.setattr(media, "MEDIA_DIR", tmp_path)
    return TestClient(Starlette(routes=[Route(media.ROUTE + "/{name}", media.serve)]))


def test_a_real_image_is_served_with_nosniff(tmp_path, monkeypatch):
    client = _client(tmp_path, monkeypatch)
    name = media.store(png(4, 3), ".png")
    r = client.get(f"{media.ROUTE}/{name}")
    assert r.status_code == 200 and r.content == png(4, 3)
    assert r.headers["content-type"] == "image/png" and r.headers["x-content-type-options"] == "nosniff"


def test_bytes_that_are_not_the_named_type_are_not_served(tmp_path, monkeypatch):
    client = _client(tmp_path, monkeypatch)
    (tmp_path / f"{NAME}.png").write_bytes(b"<html><script>alert(document.cookie)</script></html>")
    (tmp_path / f"{NAME}.webp").write_bytes(png(2, 2))  # a real image, but not a WebP
    (tmp_path / f"{NAME}.jpg").write_bytes(b"")
    for ext in ("png", "webp", "jpg", "gif"):
        r = client.get(f"{media.ROUTE}/{NAME}.{ext}")
        assert (r.status_code, r.text, r.headers["x-content-type-options"]) == (404, "图片不存在", "nosniff"), ext
