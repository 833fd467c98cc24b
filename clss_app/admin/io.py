"""Excel/CSV export of a list query and import with dry run, for any ModelAdmin.

Files never go through Reflex's public upload folder: exports are written to
a private folder and fetched once through ``/_clss/download/<ticket>``
(see ``downloads.py``); uploads arrive as bytes in the event handler.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session

from clss_app.admin import audit, batches, crud, many, privacy, zipcheck
from clss_app.admin.fields import column, table_of
from clss_app.admin.query import ListQuery, labels_for, ordered_ids
from clss_app.admin.view import ModelAdmin
from clss_app.services.permissions import EXPORT, IMPORT, VIEW, Forbidden, Principal, require
from models import utcnow

CHUNK = 5_000
MAX_IMPORT_ROWS = 50_000
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_SHEET_COLUMNS = 64  # the widest import template has 13


# ---------------------------------------------------------------- export


def export_columns(admin: type[ModelAdmin], p: Principal) -> list[str]:
    return admin.visible(p, [*(["id"] if admin.export_id else []), *(n for n in admin.detail if n != "password_hash")])


def export_frame(
    session: Session,
    admin: type[ModelAdmin],
    p: Principal,
    q: ListQuery,
    progress: Callable[[int, int], None] | None = None,
) -> pl.DataFrame:
    """Every row the query matches (not just the page), as the list shows them."""
    require(p, VIEW, admin.key)  # a role that may not open the list exports none of it either
    require(p, EXPORT, admin.key)
    shown = export_columns(admin, p)
    names = [n for n in shown if n not in admin.many]
    # A code named by (another column, code) needs that column read too (the audit log's resource).
    keys = [k for n in names for k in (admin.fields[n].labels_by, admin.fields[n].masks_by) if k]
    read = names + [k for k in dict.fromkeys(keys) if k not in names]
    model = admin.model
    # All matching ids in the user's order (an index walk), then full rows in chunks.
    ids = ordered_ids(session, admin, p, q)
    total = len(ids)
    table = table_of(model)
    cols: dict[str, list[Any]] = {n: [] for n in shown}
    fk_names = [n for n in names if admin.fields[n].kind == "fk"]
    for start in range(0, total, CHUNK):
        chunk_ids = ids[start : start + CHUNK]
        # Plain column tuples: an ORM object per row costs more than the query itself.
        found = {
            r[0]: r
            for r in session.execute(
                sa.select(table.c.id, *[table.c[n] for n in read]).where(table.c.id.in_(chunk_ids))
            )
        }
        chunk = [found[i] for i in chunk_ids if i in found]
        labels = {n: labels_for(session, admin.fields[n], (r[names.index(n) + 1] for r in chunk)) for n in fk_names}
        for pos, n in enumerate(names, start=1):
            spec, out, lab = admin.fields[n], cols[n], labels.get(n)
            if spec.kind in ("money", "percent", "decimal"):
                out.extend(None if r[pos] is None else float(r[pos]) for r in chunk)
            elif spec.kind == "int":
                out.extend(r[pos] for r in chunk)
            elif spec.kind == "enum":
                out.extend(None if r[pos] is None else spec.display(r[pos]) for r in chunk)
            elif spec.labels_by:
                by = read.index(spec.labels_by) + 1
                out.extend(spec.display(r[pos], lab, r[by]) for r in chunk)
            elif spec.masks_by:  # an audit snapshot: the fields its resource masks, masked
                by = read.index(spec.masks_by) + 1
                out.extend(privacy.shown(spec, p, spec.display(r[pos], lab), r[by]) for r in chunk)
            else:
                out.extend(privacy.shown(spec, p, spec.display(r[pos], lab)) for r in chunk)
        links = many.load(session, admin, [r[0] for r in chunk], shown)
        for n, chosen in links.items():
            cols[n].extend(admin.fields[n].display(chosen.get(r[0], [])) for r in chunk)
        if progress:
            progress(min(start + CHUNK, total), total)
    return pl.DataFrame({admin.fields[n].label: cols[n] for n in shown}, strict=False)


# A spreadsheet opening a CSV runs any cell that starts like a formula ("CSV injection"): a tenant
# named =HYPERLINK(...) would become a live link. Such text cells get a leading ' (shown as typed);
# numeric columns and text that is a plain number ("-12.5") stay as they are.
_FORMULA_START = r"^[=+\-@\t\r]"
_PLAIN_NUMBER = r"^[+-]?\d+(\.\d+)?$"


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells a spreadsheet would run as a formula, prefixed with ' (for CSV)."""
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA_START) & ~pl.col(c).str.contains(_PLAIN_NUMBER))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c, dtype in zip(frame.columns, frame.dtypes)
        if dtype == pl.String
    )


def write_frame(frame: pl.DataFrame, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "csv":
        buf.write("\ufeff".encode())  # so Excel opens Chinese CSV as UTF-8
        neutralise_formulas(frame).write_csv(buf)
        return buf.getvalue()
    # xlsx needs no prefix: rust_xlsxwriter stores text as strings, never as formulas.
    # rust_xlsxwriter through its Python binding: 100k rows x 15 columns in about 1.5 s,
    # where xlsxwriter's per-cell Python calls take about 13 s on this machine.
    import rustpy_xlsxwriter as rxw  # lazy: about 90 ms to import, and only an xlsx export needs it

    head = rxw.Format().set_bold().set_background_color("#EEF2FF").set_border("thin")
    money = rxw.Format().set_num_format("#,##0.00")
    rxw.write_worksheet(
        frame,
        buf,
        sheet_name="数据",
        freeze_row=1,
        header_format=head,
        column_formats={c: money for c, dtype in zip(frame.columns, frame.dtypes) if dtype == pl.Float64},
        column_widths={c: max(10, min(40, len(c) * 2 + 2)) for c in frame.columns},
    )
    return buf.getvalue()


def write_sheets(sheets: list[tuple[str, pl.DataFrame, dict[Any, str]]]) -> bytes:
    """An xlsx of several small sheets: (name, frame, {column: Excel number format}) each (a dashboard's
    tables). Names are made fit for Excel: at most 31 characters, none of []:*?/\\, each once."""
    import xlsxwriter  # lazy, as in ``template``

    buf, used = io.BytesIO(), set()
    with xlsxwriter.Workbook(buf) as wb:
        for name, frame, formats in sheets:
            base = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "数据"
            sheet, k = base, 2
            while sheet in used:
                sheet, k = f"{base[: 31 - len(str(k)) - 1]}_{k}", k + 1
            used.add(sheet)
            frame.write_excel(wb, worksheet=sheet, autofit=True, column_formats=formats or None)
    return buf.getvalue()


# ---------------------------------------------------------------- import


def import_columns(admin: type[ModelAdmin], p: Principal) -> list[str]:
    """The form's fields (or ``import_form``'s), less uploads (images and files are added in the form afterwards)."""
    names = admin.editable(p, admin.import_form or admin.form)
    return [n for n in names if admin.fields[n].kind not in ("image", "images", "file")]


def _may_import(p: Principal | None, admin) -> None:
    require(p, VIEW, admin.key)
    require(p, IMPORT, admin.key)


def template(admin: type[ModelAdmin], p: Principal) -> bytes:
    """An empty sheet with the headers, and a second sheet explaining each column."""
    _may_import(p, admin)
    names = import_columns(admin, p)
    head = pl.DataFrame(
        {admin.fields[n].label: [] for n in names}, schema={admin.fields[n].label: pl.String for n in names}
    )
    notes = []
    for n in names:
        spec = admin.fields[n]
        hint = {
            "money": "金额，最多两位小数",
            "percent": "百分数，如 0.05 表示 0.05%",
            "decimal": "数字",
            "int": "整数",
            "date": "日期，如 2026-01-31",
            "datetime": "时间，如 2026-01-31 09:30",
            "bool": "是 / 否",
            "fk": f"填写{spec.label}名称",
            "many": f"填写{spec.label}名称，多个用“、”分隔",
        }.get(spec.kind, "文本")
        if spec.month:
            hint = "年月，如 2026-01"
        if spec.kind == "enum":
            hint = "可选：" + "、".join(label for _, label in spec.choices())
        if spec.max_length:
            hint += f"，不超过 {spec.max_length} 字"
        notes.append({"列": spec.label, "必填": "是" if spec.required else "否", "说明": hint})
    buf = io.BytesIO()
    import xlsxwriter  # lazy: about 40 ms to import, and only the import template needs it

    with xlsxwriter.Workbook(buf) as wb:
        head.write_excel(wb, worksheet="导入数据", autofit=True)
        pl.DataFrame(notes).write_excel(wb, worksheet="填写说明", autofit=True)
    return buf.getvalue()


@dataclass
class ImportPreview:
    total: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)  # row, column, message
    sample: list[dict[str, str]] = field(default_factory=list)
    values: list[dict] = field(default_factory=list)  # parsed rows, kept on the server only
    # (admin key, principal) the rows were checked for: they are committed there only, by that user
    # with the same role and scope, never into another admin's table.
    checked_for: tuple = ()

    @property
    def ok(self) -> bool:
        return self.total > 0 and not self.errors


def read_sheet(data: bytes, filename: str) -> pl.DataFrame:
    if len(data) > MAX_IMPORT_BYTES:
        raise ValueError(f"文件过大（超过 {MAX_IMPORT_BYTES // 1024 // 1024} MB）")
    name = filename.lower()
    if name.endswith(".xlsx"):
        check_xlsx(data)
    try:
        if name.endswith(".csv"):
            return pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8-lossy")
        if name.endswith(".xlsx"):
            return pl.read_excel(io.BytesIO(data), sheet_id=1, infer_schema_length=0)
    except Exception as exc:  # a damaged file: say so, never a traceback
        raise ValueError(f"无法读取文件：{type(exc).__name__}") from None
    raise ValueError("只支持 .xlsx 或 .csv 文件")


def check_xlsx(data: bytes) -> None:
    """Refuse (ValueError) an xlsx whose content would unpack, or spread over a grid, past what an import
    may hold, before polars' reader allocates for it (a zip bomb or two far-apart cells took gigabytes,
    or aborted the process)."""
    names = []

    def sheet(name: str):
        names.append(name)  # every part is followed: the workbook, not the name, says which is a sheet
        return zipcheck.SheetExtent(
            MAX_IMPORT_ROWS + 1,
            MAX_SHEET_COLUMNS,
            f"单次最多导入 {MAX_IMPORT_ROWS} 行",
            f"工作表超过 {MAX_SHEET_COLUMNS} 列，请使用导入模板",
        )

    zipcheck.check(data, sheet)
    # The reader falls back to the binary and OpenDocument formats, which the check does not follow.
    if "xl/workbook.xml" not in names or {"xl/workbook.bin", "content.xml"} & set(names):
        raise ValueError("只支持 .xlsx 文件（Excel 工作簿），请用 Excel 另存为 .xlsx 后再上传")


def dry_run(
    session: Session,
    admin: type[ModelAdmin],
    p: Principal,
    frame: pl.DataFrame,
    progress: Callable[[int, int], None] | None = None,
) -> ImportPreview:
    """Check every row as the form would, plus duplicates inside the file; write nothing."""
    _may_import(p, admin)
    names = import_columns(admin, p)
    by_label = {admin.fields[n].label: n for n in names}
    preview = ImportPreview(total=frame.height, checked_for=(admin.key, p))
    missing = [
        admin.fields[n].label for n in names if admin.fields[n].required and admin.fields[n].label not in frame.columns
    ]
    if missing:
        preview.errors.append({"row": "表头", "column": "、".join(missing), "message": "缺少必填列，请使用导入模板"})
        return preview
    if frame.height == 0:
        preview.errors.append({"row": "—", "column": "", "message": "文件中没有数据行"})
        return preview
    if frame.height > MAX_IMPORT_ROWS:
        preview.errors.append({"row": "—", "column": "", "message": f"单次最多导入 {MAX_IMPORT_ROWS} 行"})
        return preview
    frame = frame.select([c for c in frame.columns if c in by_label])
    seen: dict[tuple, int] = {}
    firsts: dict[tuple, dict[tuple, int]] = {}  # unique set -> its values in this file -> first row
    sets = crud.unique_sets(admin)
    cache: dict = {}
    session.info[crud.IMPORT_MEMO] = {}  # see crud.memo
    try:
        for i, raw_row in enumerate(frame.iter_rows(named=True)):
            row_no = i + 2  # the header is row 1 in the sheet
            raw = {by_label[k]: v for k, v in raw_row.items()}
            values, errors = crud.validate(session, admin, p, raw, names=names, fk_cache=cache, check_unique=False)
            merged = {**admin.defaults, **admin.import_defaults, **values}
            for cols in sets:
                if not errors and all(c in merged for c in cols):
                    key = (cols, tuple(str(merged[c]) for c in cols))
                    if key in seen:
                        errors[cols[-1]] = f"与第 {seen[key]} 行重复"
                    else:
                        seen[key] = row_no
                        firsts.setdefault(cols, {})[tuple(merged[c] for c in cols)] = row_no
            for n, msg in errors.items():
                preview.errors.append({"row": str(row_no), "column": admin.fields[n].label, "message": msg})
            preview.values.append(merged)
            if len(preview.sample) < 10:
                preview.sample.append(
                    {admin.fields[n].label: str(raw.get(n) if raw.get(n) is not None else "") for n in names}
                )
            if progress and (i + 1) % 500 == 0:
                progress(i + 1, frame.height)
    finally:
        session.info.pop(crud.IMPORT_MEMO, None)
    _stored_duplicates(session, admin, preview, firsts)
    return preview


def _stored_duplicates(session, admin, preview: ImportPreview, firsts: dict) -> None:
    """Rows whose unique values are already in the database, found in bulk (not a query a row)."""
    for cols, rows in firsts.items():
        for key in crud.existing_keys(session, admin, cols, set(rows)):
            row_no = rows.get(key)
            if row_no is None:
                continue
            values = preview.values[row_no - 2]
            preview.errors.append(
                {
                    "row": str(row_no),
                    "column": admin.fields[cols[-1]].label,
                    "message": crud.unique_message(admin, cols, values),
                }
            )
    preview.errors.sort(key=lambda e: int(e["row"]) if e["row"].isdigit() else 0)


def commit(session: Session, admin: type[ModelAdmin], p: Principal, preview: ImportPreview, filename: str = "") -> int:
    """Insert every row or none (the caller's transaction); re-checks uniqueness first."""
    _may_import(p, admin)
    if preview.checked_for != (admin.key, p):
        raise Forbidden("该导入预览不是在此页面为您校验的，请重新上传")
    if not preview.ok:
        raise crud.ValidationFailed({"_": "导入数据有错误，请修正后重新上传"})
    rows = []
    for values in preview.values:
        values = dict(values)
        admin.before_save(session, p, values, None)
        rows.append(values)
    model = admin.model
    for cols in crud.unique_sets(admin):
        keys = {tuple(r[c] for c in cols) for r in rows} if all(c in rows[0] for c in cols) else set()
        if keys and crud.existing_keys(session, admin, cols, keys):
            raise crud.ValidationFailed({"_": "有数据在预览后被他人录入（重复），请重新上传"})
    batch = batches.open_batch(session, admin, p, filename, len(rows)) if admin.import_scene else None
    links = [{n: r.pop(n) for n in list(r) if n in admin.many} for r in rows]
    for r in rows:
        if batch is not None:
            r["import_batch_id"] = batch.id
        _fill_defaults(model, r)
    # One multi-row INSERT … RETURNING: building 10k SQLModel objects costs more than the insert.
    insert = sa.insert(model).returning(column(model, "id"), sort_by_parameter_order=True)
    ids = session.execute(insert, rows).scalars().all()
    for row_id, chosen in zip(ids, links):
        many.save(session, admin, row_id, chosen)
    now = utcnow()
    session.execute(
        sa.insert(audit.AuditLog),
        [
            dict(
                user_id=p.actor_id,
                username=p.username,
                org_unit_id=p.unit_id,
                resource=admin.key,
                row_id=row_id,
                action="import",
                summary=f"导入 {admin.row_label(SimpleNamespace(id=row_id, **r))}"[:255],
                at=now,
            )
            for row_id, r in zip(ids, rows)
        ],
    )
    audit.record(session, p, admin.key, None, "import", summary=f"导入 {len(ids)} 条（{filename}），首条 ID {ids[0]}")
    return len(ids)


def _fill_defaults(model, values: dict) -> None:
    """The model's Python-side defaults, which a Core INSERT would not apply."""
    for name, info in model.model_fields.items():
        if name in values or name == "id" or name not in model.__table__.c:
            continue
        if info.default_factory is not None:
            values[name] = info.default_factory()
        elif not info.is_required():
            values[name] = info.default
