"""Zip bombs (imports and Office attachments) are refused from the zip's own figures, before any reader."""

import io as _io
import struct
import tracemalloc
import zipfile
import zlib

import polars as pl
import pytest
import xlsxwriter

from clss_app.admin import attachments, io, zipcheck
from clss_app.core.errors import FieldError

MB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"
CELLS = b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'


def _xlsx(parts: dict[str, bytes] | None = None, big: dict[str, int] | None = None) -> bytes:
    """A zip laid out like an xlsx; ``big`` maps more entries to their size in MB of one repeated cell,
    written a MB at a time so that the test itself stays light."""
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            SHEET: b"<worksheet><sheetData>" + CELLS + b"</sheetData></worksheet>",
            **(parts or {}),
        }.items():
            z.writestr(name, data)
        piece = b'<c r="A1"><v>1</v></c>' * (MB // 22)
        for name, size in (big or {}).items():
            with z.open(name, "w") as f:
                for _ in range(size):
                    f.write(piece)
    return buf.getvalue()


@pytest.fixture
def no_polars(monkeypatch):
    """Fails the test if polars is asked to read a sheet: every refusal here must come first."""

    def read_excel(*args, **kwargs):
        raise AssertionError("polars was called")

    monkeypatch.setattr(pl, "read_excel", read_excel)


def _refused(data: bytes, message: str) -> None:
    with pytest.raises(ValueError) as e:
        io.read_sheet(data, "房间.xlsx")
    assert message in str(e.value)


def test_a_300_mb_bomb_is_refused_from_the_directory(no_polars):
    bomb = _xlsx(big={"xl/worksheets/sheet2.xml": 300})
    assert len(bomb) < 2 * MB  # 300 MB of cells in under 2 MB
    _refused(bomb, "文件中单个部分解压后超过 150 MB")


def test_total_size_ratio_and_entry_count(no_polars, monkeypatch):
    _refused(_xlsx(big={"xl/a.xml": 30}), "压缩比超过 100 倍")  # 30 MB in about 0.1 MB
    monkeypatch.setattr(zipcheck, "MAX_RATIO", 10_000)  # from here on, only the total is over
    _refused(_xlsx(big={f"xl/p{i}.xml": 60 for i in range(4)}), "文件解压后超过 200 MB")
    _refused(_xlsx({f"xl/p{i}.xml": b"" for i in range(1_000)}), "文件包含的部分超过 1000 个")


def _patch_sizes(data: bytes, name: str, size: int, crc: int, local: bool = True, central: bool = True) -> bytes:
    """The zip with ``name`` declared as ``size`` bytes of CRC ``crc``, its content left as it is."""
    out = bytearray(data)
    z = zipfile.ZipFile(_io.BytesIO(data))
    info = z.getinfo(name)
    if local:
        struct.pack_into("<L", out, info.header_offset + 14, crc)
        struct.pack_into("<L", out, info.header_offset + 22, size)
    if central:
        at = out.find(b"PK\x01\x02", z.start_dir)
        while out[at + 46 : at + 46 + struct.unpack_from("<H", out, at + 28)[0]] != name.encode():
            at = out.find(b"PK\x01\x02", at + 4)
        struct.pack_into("<L", out, at + 16, crc)
        struct.pack_into("<L", out, at + 24, size)
    return bytes(out)


def test_declared_sizes_that_lie_are_refused_without_holding_the_content(no_polars):
    honest = _xlsx(big={"xl/worksheets/sheet9.xml": 100})
    small = b"<worksheet/>"
    liar = _patch_sizes(honest, "xl/worksheets/sheet9.xml", len(small), zlib.crc32(small))
    assert zipfile.ZipFile(_io.BytesIO(liar)).getinfo("xl/worksheets/sheet9.xml").file_size == len(small)
    tracemalloc.start()
    try:
        _refused(liar, "声明的大小与实际内容不符")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * MB  # 100 MB inside, at most a piece of it held at a time

    # The local header and the central directory disagree: a reader may trust either.
    plain = _xlsx()
    info = zipfile.ZipFile(_io.BytesIO(plain)).getinfo(SHEET)
    _refused(_patch_sizes(plain, SHEET, info.file_size + 1, info.CRC, central=False), "声明的大小与实际内容不符")


def _sheet(cells: dict[tuple[int, int], str]) -> bytes:
    buf = _io.BytesIO()
    with xlsxwriter.Workbook(buf) as wb:
        ws = wb.add_worksheet()
        for (row, col), value in cells.items():
            ws.write(row, col, value)
    return buf.getvalue()


def test_far_apart_cells_are_refused_before_the_reader_allocates_the_grid(no_polars):
    # Two values at A1 and XFD1048576: 5 KB that made polars' reader ask for 512 GB and abort the process.
    _refused(_sheet({(0, 0): "a", (1048575, 16383): "b"}), "单次最多导入 50000 行")
    _refused(_sheet({(0, 0): "a", (3, 64): "b"}), "工作表超过 64 列")
    sheet = _sheet({(0, 0): "a", (1, 0): "b"})
    with zipfile.ZipFile(_io.BytesIO(sheet)) as z:
        xml = z.read(SHEET)
    far = [  # the far cell spelled other ways: calamine takes the last r, and reads a prefixed tag
        xml.replace(b'<c r="A2"', b'<c r="A2" r="XFD1048576"'),
        xml.replace(b'<row r="2"', b'<row r="1048576"').replace(b' r="A2"', b""),  # no r: after its row's
        xml.replace(
            b'<c r="A2" t="s"><v>1</v></c>',
            b'<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="A1048576" t="s">'
            b"<x:v>1</x:v></x:c>",
        ),
    ]
    for variant in far:
        assert variant != xml
        with pytest.raises(ValueError, match=r"单次最多导入 50000 行|无法识别的单元格位置"):
            io.read_sheet(_replace(sheet, SHEET, variant), "a.xlsx")


def _replace(data: bytes, name: str, content: bytes) -> bytes:
    buf = _io.BytesIO()
    with zipfile.ZipFile(_io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, content if info.filename == name else src.read(info.filename))
    return buf.getvalue()


def test_the_grid_is_followed_across_pieces_and_without_r():
    xml = (
        b'<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B1" s="2"/></row>'
        + b"<row><c><v>1</v></c><c><v>2</v></c></row>" * 3
        + b'<row r="9"><c r="C9"/></row></sheetData>'
    )
    for at in range(len(xml)):  # cut anywhere, even inside a tag
        grid = zipcheck.SheetExtent(10, 10, "rows", "cols")
        grid(xml[:at])
        grid(xml[at:])
        assert (grid.rows, grid.cols) == ([0, 3], [0, 1]), at  # formatting-only cells do not count
    grid = zipcheck.SheetExtent(10, 10, "rows", "cols")
    with pytest.raises(zipcheck.ZipRefused, match="cols"):
        grid(b'<row r="2"><c r="A2"><v>1</v></c>' + b"<c><v>1</v></c>" * 10 + b"</row>")


def test_legitimate_sheets_pass(monkeypatch):
    frame = pl.DataFrame({"房号": [f"1-{i}" for i in range(3_000)], "月租金(元)": ["3200"] * 3_000})
    assert io.read_sheet(io.write_frame(frame, "xlsx"), "a.xlsx").shape == (3_000, 2)  # the export writer
    template = _sheet({(0, 0): "房号", (1, 0): "1-101", (2, 0): "1-102"})
    assert io.read_sheet(template, "a.xlsx").shape == (2, 1)  # xlsxwriter, as the template is made
    formatted = _replace(
        template,
        SHEET,
        zipfile.ZipFile(_io.BytesIO(template))
        .read(SHEET)
        .replace(b"</sheetData>", b'<row r="90000"><c r="AZ90000" s="1"/></row></sheetData>'),
    )
    assert io.read_sheet(formatted, "a.xlsx").shape == (2, 1)  # formatting far below is not data


def test_other_formats_inside_the_zip_are_refused(no_polars):
    _refused(_xlsx({"xl/workbook.bin": b"\x00"}), "只支持 .xlsx 文件")
    _refused(b"PK\x03\x04 not really a zip", "无法读取文件（已损坏")


def test_office_attachments_go_through_the_same_check():
    bomb = _xlsx(big={"word/document.xml": 300})
    with pytest.raises(FieldError, match="合同扫描件：文件中单个部分解压后超过 150 MB"):
        attachments.check(bomb, "合同.docx", "合同扫描件", ("pdf", "docx"), max_mb=10)
    assert attachments.check(_sheet({(0, 0): "a"}), "清单.xlsx", "附件", ("xlsx",)) == "xlsx"
