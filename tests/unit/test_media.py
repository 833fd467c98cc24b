"""Image uploads are judged by their content, size and shape."""

import pytest

from clss_app.admin.fields import FieldSpec
from clss_app.core import media
from clss_app.core.errors import FieldError
from tests.images import png


def test_real_png_passes_and_is_stored_by_content(tmp_path, monkeypatch):
    monkeypatch.setattr(media, "MEDIA_DIR", tmp_path)
    data = png(335, 160)
    assert media.check_image(data, "封面图", ratio=(335, 160)) == ".png"
    assert media.dimensions(data, ".png") == (335, 160)
    name = media.store(data, ".png")
    assert media.NAME.match(name) and (tmp_path / name).read_bytes() == data
    assert media.store(data, ".png") == name  # same bytes, same file


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "文件为空"),
        (b"MZ\x90\x00 this is a program renamed to .png", "须为 JPG、PNG 或 WebP 图片"),
        (png(300, 300), "宽高比须为 335:160（当前 300×300）"),
    ],
)
def test_bad_images_are_refused_with_a_reason(data, message):
    with pytest.raises(FieldError, match=message.replace("(", r"\(").replace(")", r"\)")):
        media.check_image(data, "封面图", ratio=(335, 160))


def test_size_limit(monkeypatch):
    big = png(10, 10) + b"\x00" * (1024 * 1024 + 1)
    with pytest.raises(FieldError, match="不能超过 1 MB"):
        media.check_image(big, "封面图", max_mb=1)


def test_an_image_field_only_accepts_stored_names():
    spec = FieldSpec("cover", "封面图", "image")
    assert spec.parse("0123456789abcdef0123456789abcdef.png").endswith(".png")
    with pytest.raises(FieldError, match="上传图片"):
        spec.parse("../../etc/passwd")
    assert spec.display("0123456789abcdef0123456789abcdef.png") == "/_clss/media/0123456789abcdef0123456789abcdef.png"


# ---------------------------------------------------------------- private attachments
from clss_app.admin import attachments  # noqa: E402

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_attachment_is_checked_by_content_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.setattr(attachments, "FILES_DIR", tmp_path)
    assert attachments.check(PDF, "营业执照.pdf", "营业执照") == "pdf"
    value = attachments.store(PDF, "京安居/营业执照.pdf", "pdf")
    assert attachments.shown_name(value) == "营业执照.pdf"  # path parts never survive
    assert attachments.read(value) == (PDF, "营业执照.pdf")
    spec = FieldSpec("license_file", "营业执照", "file", max_length=255)
    assert spec.parse(value) == value and spec.display(value) == "营业执照.pdf"
    with pytest.raises(FieldError, match="请通过“上传文件”选择文件"):
        spec.parse("0" * 32 + ".pdf/forged.pdf")  # a value naming no stored file


@pytest.mark.parametrize(
    "data,name,message",
    [
        (b"", "a.pdf", "营业执照文件为空"),
        (b"MZ\x90\x00 a program renamed", "a.pdf", "营业执照须为 PDF、JPG、PNG 文件"),
        (b"PK\x03\x04 a zip", "a.zip", "营业执照须为 PDF、JPG、PNG 文件"),
        (PDF + b"\x00" * (1024 * 1024), "a.pdf", r"营业执照不能超过 1 MB（当前 1.0 MB）"),
    ],
)
def test_bad_attachments_are_refused_with_a_reason(data, name, message):
    with pytest.raises(FieldError, match=message.replace("(", r"\(").replace(")", r"\)")):
        attachments.check(data, name, "营业执照", ("pdf", "jpg", "png"), max_mb=1)
