"""Exports that a spreadsheet opens must not run what tenants typed (CSV / formula injection)."""

import csv
import io as _io
import zipfile

import polars as pl

from clss_app.admin import crud, io
from clss_app.admin.query import ListQuery
from clss_app.site import app_site

# As any store role can type them (the form trims leading tabs and CRs; write_frame covers them below).
NAMES = ['=HYPERLINK("http://ev.il","x")', "=1+2+cmd|' /C calc'!A0", "@SUM(A1:A9)", "+1+1", "-2+3"]


def _export_tenants(session, principal_of, fmt):
    tenants = app_site().admin("tenants")
    store = principal_of("manager")
    for i, name in enumerate(NAMES):
        crud.create(
            session, tenants, store, {"name": name, "phone": f"1390000{i:04d}", "company_id": str(store.unit_id)}
        )
    session.flush()
    # Found by phone: as the store manager, who reads phones in full (a role that reads them masked does
    # not search by them, clss_app/admin/search.py).
    frame = io.export_frame(session, tenants, store, ListQuery(q="1390000", page_size=100))
    return io.write_frame(frame, fmt)


def test_csv_cells_that_look_like_formulas_are_prefixed(session, principal_of):
    data = _export_tenants(session, principal_of, "csv").decode("utf-8-sig")
    names = [row["姓名"] for row in csv.DictReader(_io.StringIO(data))]
    assert sorted(names) == sorted("'" + n for n in NAMES)
    assert not any(n[0] in "=+-@" for n in names)


def test_csv_keeps_numbers_numeric():
    frame = pl.DataFrame(
        {"金额": [-12.5, 3.0], "备注": ["-7", "-1+cmd"], "编号": ["+86", "=A1"], "其他": ["\tx", "\ry"]}
    )
    rows = list(csv.reader(_io.StringIO(io.write_frame(frame, "csv").decode("utf-8-sig"))))
    assert rows[1:] == [["-12.5", "-7", "+86", "'\tx"], ["3.0", "'-1+cmd", "'=A1", "'\ry"]]


def test_xlsx_stores_such_text_as_plain_strings(session, principal_of):
    data = _export_tenants(session, principal_of, "xlsx")
    with zipfile.ZipFile(_io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula cell anywhere
    back = pl.read_excel(_io.BytesIO(data))
    assert sorted(back["姓名"].to_list()) == sorted(NAMES)  # shown exactly as typed, no prefix needed
