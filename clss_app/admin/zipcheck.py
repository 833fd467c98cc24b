"""Office files (xlsx, docx) are zips: checked before any reader opens them.

A few MB of zip can unpack into gigabytes (a 1.96 MB xlsx held 481 MB and cost the import +960 MB
of memory before any row was checked). ``check`` first reads the central directory's figures,
inflating nothing; then it inflates every entry in pieces, never holding one whole, to prove each
holds exactly what the directory declares, so a reader that trusts the declared sizes (polars'
calamine does) cannot be fed more than was checked.

The limits, measured on 50,000-row sheets (the import maximum) written as exports are:
- 房间 (13 columns, the widest template): 4.2 MB zipped, 38 MB unzipped, ratio 9;
- 城市参数 with every text at its full length in random Chinese: 99 MB unzipped (but 65 MB zipped,
  over the 20 MB upload limit anyway);
- 城市参数 with the same 510 characters in every row: 88 MB unzipped, ratio 59.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from io import BytesIO

MB = 1024 * 1024
MAX_TOTAL = 200 * MB
MAX_ENTRY = 150 * MB
MAX_RATIO = 100
RATIO_FROM = 1 * MB  # a smaller entry cannot hold a bomb, whatever its ratio
MAX_ENTRIES = 1_000
PIECE = 64 * 1024  # compressed bytes fed at a time; each gives at most OUT bytes at a time
OUT = 1 * MB
LOCAL = struct.Struct("<4s5H3L2H")  # a local file header, up to its name


class ZipRefused(ValueError):
    """The file is not a zip within the limits; the message is Chinese and names the limit."""


def check(data: bytes, reader: Callable[[str], Callable[[bytes], None] | None] | None = None) -> None:
    """Raise ZipRefused unless ``data`` is a zip that unpacks within the limits.

    ``reader(name)`` may return a callable that is given the entry's content piece by piece as it
    is inflated (to look into it without inflating twice); it may raise ZipRefused too.
    """
    try:
        infos = zipfile.ZipFile(BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise ZipRefused("无法读取文件（已损坏，或不是有效的 Office 文件）") from None
    _check_directory(infos)
    view = memoryview(data)
    for info in infos:
        _inflate(view, info, reader(info.filename) if reader else None)


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise ZipRefused(f"文件包含的部分超过 {MAX_ENTRIES} 个，已拒绝")
    for info in infos:
        if info.flag_bits & 0x1:
            raise ZipRefused("文件已加密，请另存为未加密的文件后再上传")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ZipRefused("文件使用了不支持的压缩方式，请用 Excel 或 Word 另存后再上传")
        if info.file_size > MAX_ENTRY:
            raise ZipRefused(f"文件中单个部分解压后超过 {MAX_ENTRY // MB} MB，请拆分后分批上传")
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * info.compress_size:
            raise ZipRefused(f"文件压缩比超过 {MAX_RATIO} 倍，疑似压缩炸弹，已拒绝")
    if sum(i.file_size for i in infos) > MAX_TOTAL:
        raise ZipRefused(f"文件解压后超过 {MAX_TOTAL // MB} MB，请拆分后分批上传")


def _lying() -> ZipRefused:
    return ZipRefused("文件结构异常（声明的大小与实际内容不符），已拒绝")


def _inflate(data: memoryview, info: zipfile.ZipInfo, consume: Callable[[bytes], None] | None) -> None:
    """Inflate one entry in pieces, checking it against what the central directory declares."""
    at = info.header_offset
    if at + LOCAL.size > len(data):
        raise _lying()
    sig, _, flags, method, _, _, crc, csize, usize, nlen, elen = LOCAL.unpack(data[at : at + LOCAL.size])
    # The local header must agree with the directory (a reader may trust either), unless its sizes are
    # deferred to a data descriptor (flag 0x08) or to a zip64 field (0xFFFFFFFF).
    declared = (crc, csize, usize) if not flags & 0x08 else (info.CRC, info.compress_size, info.file_size)
    if csize == usize == 0xFFFFFFFF:
        declared = (crc, info.compress_size, info.file_size)
    if (
        sig != b"PK\x03\x04"
        or method != info.compress_type
        or declared != (info.CRC, info.compress_size, info.file_size)
    ):
        raise _lying()
    start = at + LOCAL.size + nlen + elen
    raw = data[start : start + info.compress_size]
    if len(raw) != info.compress_size:
        raise _lying()
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    size, running = 0, 0
    try:
        for i in range(0, len(raw), PIECE):
            piece = bytes(raw[i : i + PIECE])
            while piece:
                if inflater is None:
                    out, piece = piece, b""
                else:
                    out, piece = inflater.decompress(piece, OUT), inflater.unconsumed_tail
                size += len(out)
                if size > info.file_size:  # more than declared: stop before holding any more of it
                    raise _lying()
                running = zlib.crc32(out, running)
                if consume is not None and out:
                    consume(out)
    except zlib.error:
        raise ZipRefused("无法读取文件（已损坏，无法解压）") from None
    if (inflater is not None and not inflater.eof) or size != info.file_size or running != info.CRC:
        raise _lying()


class SheetExtent:
    """Follows the grid a worksheet spans as its XML streams by (one instance per zip entry).

    calamine (polars' xlsx reader) allocates the whole rectangle from the first to the last cell
    holding a value: a 5 KB file with values in A1 and XFD1048576 asks for 512 GB and aborts the
    process. Cells are placed as calamine places them (by their ``r`` attribute, else next to the
    previous one, and a ``<row>`` without ``r`` below the previous row); valueless cells
    (``<c .../>``, formatting only) are skipped, as calamine skips them. A sheet whose rectangle
    passes ``max_rows`` x ``max_columns`` is refused. Anything that merely looks like a cell tag (in
    a comment, say) counts too: that can only refuse more, never less.

    Writers give every cell a plain ``<c r="A1" ...>``: a piece made only of those is read with a
    few passes of regular expressions; any other piece tag by tag, a few times slower.
    """

    TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(row|c)(?=[\s/>])([^<>]*)>")
    R = re.compile(rb"""(?:^|\s)r\s*=\s*["']([^"']*)["']""")
    REF = re.compile(rb"([A-Za-z]{0,3})([0-9]{0,7})")  # XFD1048576 at most, as in Excel
    PLAIN = re.compile(rb'<c r="[A-Z]{1,3}[0-9]{1,7}"[^<>]*>')
    VALUED = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^<>]*(?<!/)>')
    SECOND_R = re.compile(rb'<c r="[^"]*"[^<>]*\sr\s*=')  # calamine takes the last r
    NOT_PLAIN = (b":c", b":row", b"<c\t", b"<c\n", b"<c\r")
    MAX_TAG = 64 * 1024

    def __init__(self, max_rows: int, max_columns: int, rows_message: str, columns_message: str):
        self.max_rows, self.max_columns = max_rows, max_columns
        self.rows_message, self.columns_message = rows_message, columns_message
        self.row, self.col = -1, -1  # where the last tag left calamine's cursor
        self.rows: list[int] = []  # [first, last] row holding a value
        self.cols: list[int] = []
        self.carry = b""

    def __call__(self, chunk: bytes) -> None:
        text = self.carry + chunk
        cut = text.rfind(b"<")
        if cut >= 0 and text.find(b">", cut) < 0:  # a tag split between two pieces: finish it next time
            text, self.carry = text[:cut], text[cut:]
            if len(self.carry) > self.MAX_TAG:
                raise ZipRefused("无法读取文件（已损坏）")
        else:
            self.carry = b""
        if not self._plain(text):
            self._tag_by_tag(text)

    def _plain(self, text: bytes) -> bool:
        """Read a piece whose every cell tag is plain; False (nothing read) if it is not such a piece."""
        cells = text.count(b"<c ") + text.count(b"<c>") + text.count(b"<c/")
        if (
            not cells
            or any(s in text for s in self.NOT_PLAIN)
            or self.SECOND_R.search(text)
            or len(self.PLAIN.findall(text)) != cells
        ):
            return False
        valued = self.VALUED.findall(text)
        if valued:
            letters, digits = zip(*valued)
            rows = list(map(int, digits))
            self._extend(self.rows, min(rows) - 1, self.max_rows, self.rows_message)
            self._extend(self.rows, max(rows) - 1, self.max_rows, self.rows_message)
            for column in set(letters):
                self._extend(self.cols, _column(column), self.max_columns, self.columns_message)
        last = text.rfind(b'<c r="')  # the cursor: at the last cell, then past the rows after it
        cursor = self.REF.match(text, last + 6)
        assert cursor is not None  # the pattern matches even an empty reference
        at_letters, at_digits = cursor.groups()
        self.row, self.col = int(at_digits) - 1, _column(at_letters)
        self._tag_by_tag(text[last + 1 :])
        return True

    def _tag_by_tag(self, text: bytes) -> None:
        for kind, attrs in self.TAG.findall(text):
            found = self.R.findall(attrs)
            ref = self.REF.fullmatch(found[0]) if len(found) == 1 else None
            if found and not ref:
                raise ZipRefused("工作表中有无法识别的单元格位置，请用 Excel 另存后再上传")
            letters, digits = ref.groups() if ref else (b"", b"")
            if kind == b"row":
                self.row, self.col = (int(digits) - 1 if digits else self.row + 1), -1
                continue
            self.col = _column(letters) if letters else self.col + 1
            if digits:
                self.row = int(digits) - 1
            if not attrs.endswith(b"/"):
                self._extend(self.rows, self.row, self.max_rows, self.rows_message)
                self._extend(self.cols, self.col, self.max_columns, self.columns_message)

    @staticmethod
    def _extend(span: list[int], at: int, most: int, message: str) -> None:
        if not span:
            span.extend((at, at))
        elif not span[0] <= at <= span[1]:
            span[0], span[1] = min(span[0], at), max(span[1], at)
        if span[1] - span[0] + 1 > most:
            raise ZipRefused(message)


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n - 1
