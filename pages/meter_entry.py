"""抄表录入: a building's meters of one kind for a month, typed in a grid or imported from a sheet.

Thin by design: each row is checked by the service as it is left (services/meters.py: the same check
as saving), Enter moves to the next row's reading (assets/clss.js), 保存读数 writes the typed rows and
their bills in one go, and 导入Excel writes the good rows of a sheet and names each bad one.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import cast

import polars as pl
import reflex as rx

from clss_app.admin import downloads, io
from clss_app.compat import event
from clss_app.core import clock
from clss_app.core.errors import Forbidden
from clss_app.services import meters
from clss_app.services.permissions import VIEW, in_scope, require
from clss_app.state import AuthState
from clss_app.ui import theme
from clss_app.upload_guard import SESSION_HEADER
from models import Building, Utility

KEY = meters.RESOURCE
UPLOAD_ID = "meter-import-upload"


def _month(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:7] + "-01")
    except ValueError:
        return None


class MeterEntryState(AuthState):
    buildings: list[dict[str, str]] = []
    building: str = ""
    utility: str = Utility.POWER.value
    month: str = ""
    read_on: str = ""
    rows: list[dict[str, str]] = []
    outcome: str = ""
    problems: list[dict[str, str]] = []  # the last save's or import's refused rows and warnings
    generation: int = 0  # bumped on every reload: the grid's inputs start again from the server's values

    @rx.event
    def load(self):
        today = clock.today()
        self.month = self.month or f"{today:%Y-%m}"
        self.read_on = self.read_on or today.isoformat()
        try:
            with self._session() as (s, p):
                p = require(p, VIEW, KEY)
                self.buildings = [{"value": v, "label": lab} for v, lab in meters.building_choices(s, p)]
        except Forbidden as exc:
            return self._refused(exc)
        if self.building not in [b["value"] for b in self.buildings]:
            self.building = self.buildings[0]["value"] if self.buildings else ""
        self.outcome, self.problems = "", []
        return self._reload()

    def _reload(self):
        month = _month(self.month)
        if not self.building or month is None:
            self.rows = []
            return None
        try:
            with self._session() as (s, p):
                p = require(p, VIEW, KEY)
                b = s.get(Building, int(self.building))
                if b is None or not in_scope(p, project_id=b.project_id):
                    raise Forbidden("楼栋不存在或无权访问")
                rows = meters.grid(s, p, int(self.building), Utility(self.utility), month)
        except Forbidden as exc:
            return self._refused(exc)
        self.generation += 1
        self.rows = [
            {**r, "input": "", "swap": "", "old_final": "", "new_initial": "", "error": "", "warning": r["note"]}
            for r in rows
        ]
        return None

    @event
    def choose(self, name: str, value: str):
        if name == "building" and value in [b["value"] for b in self.buildings]:
            self.building = value
        elif name == "utility" and value in [u.value for u in Utility]:
            self.utility = value
        elif name == "month" and _month(value) is not None:
            self.month = value[:7]
        elif name == "read_on":
            self.read_on = value[:10]
            return None
        self.outcome, self.problems = "", []
        return self._reload()

    @event
    def typed(self, index: int, name: str, value: str):
        """A cell left: keep what was typed and check the row as saving would."""
        if not 0 <= index < len(self.rows) or name not in ("input", "old_final", "new_initial"):
            return None
        row = dict(self.rows[index])
        row[name] = value.strip()[:20]
        self.rows[index] = self._checked(row)
        return None

    @event
    def swap(self, index: int, checked: bool):
        if 0 <= index < len(self.rows):
            self.rows[index] = self._checked({**self.rows[index], "swap": "1" if checked else ""})

    def _entry(self, row: dict[str, str]) -> meters.Entry | str:
        try:
            reading = meters.parse_number(row["input"])
            old_final = meters.parse_number(row["old_final"]) if row["swap"] else None
            new_initial = meters.parse_number(row["new_initial"]) if row["swap"] else None
        except ValueError as exc:
            return str(exc)
        if reading is None:
            return ""
        return meters.Entry(int(row["id"]), reading, row["code"], bool(row["swap"]), old_final, new_initial)

    def _checked(self, row: dict[str, str]) -> dict[str, str]:
        if row["saved"]:
            return row
        entry, month = self._entry(row), _month(self.month)
        if not isinstance(entry, meters.Entry) or month is None:
            return {**row, "use": "", "error": entry if isinstance(entry, str) else "", "warning": ""}
        try:
            with self._session() as (s, p):
                use, error, warning = meters.preview(s, require(p, VIEW, KEY), month, entry)
        except Forbidden:
            return row
        return {**row, "use": use, "error": error, "warning": warning}

    @event
    async def save(self):
        """保存读数: every typed row; the good ones written with their bills, each bad one left on screen."""
        return await asyncio.to_thread(self._save)

    def _save(self):
        # Who may record comes first: a caller without a session or the right is told so, not
        # "nothing to save" about rows it may not see.
        try:
            with self._session() as (s, p):
                p = require(require(p, VIEW, KEY), meters.RECORD, KEY)
                month, read_on = _month(self.month), _day(self.read_on)
                if month is None or read_on is None:
                    return rx.toast.error("请填写月份和抄表日期（yyyy-mm-dd）", position="top-center")
                entries, bad = [], []
                for row in self.rows:
                    e = self._entry(row) if not row["saved"] else ""
                    if isinstance(e, meters.Entry):
                        entries.append(e)
                    elif e:
                        bad.append((row["code"], e))
                if not entries and not bad:
                    return rx.toast.info("没有新填写的读数", position="top-center")
                out = meters.record(s, p, month, read_on, entries) if entries else meters.Outcome()
        except Forbidden as exc:
            return self._refused(exc)
        return self._after(out, bad, "保存")

    def _after(self, out: meters.Outcome, bad: list[tuple[str, str]], verb: str):
        refused = bad + out.refused
        kept = dict(refused)
        typed = {r["code"]: r for r in self.rows if not r["saved"]}
        self._reload()
        for i, r in enumerate(self.rows):  # a refused row keeps what was typed, with its reason
            if r["code"] in kept and r["code"] in typed:
                self.rows[i] = {**typed[r["code"]], "error": kept[r["code"]]}
        self.problems = [{"row": k, "why": v, "tone": "red"} for k, v in refused] + [
            {"row": k, "why": v, "tone": "amber"} for k, v in out.warnings
        ]
        self.outcome = f"{verb}成功 {out.done} 条，出账 {out.billed} 张 ¥{out.amount:,.2f}" + (
            f"，未写入 {len(refused)} 条" if refused else ""
        )
        toast = rx.toast.warning if refused else rx.toast.success
        return toast(self.outcome, position="top-center")

    @event
    def download_template(self):
        try:
            with self._session() as (s, p):
                p = require(p, VIEW, KEY)
                data = io.write_frame(pl.DataFrame(meters.template_rows(self.rows)), "xlsx")
                url = downloads.issue(s, p, data, f"抄表导入-{self.month}.xlsx")
        except Forbidden as exc:
            return self._refused(exc)
        return rx.download(url=url)

    @event
    async def upload(self, files: list[rx.UploadFile]):
        """导入Excel: the sheet's good rows written, each bad row named (row number and reason)."""
        if not files:
            return None
        data = await files[0].read(io.MAX_IMPORT_BYTES + 1)
        name = (files[0].name or files[0].filename or "import.xlsx")[-128:]
        return await asyncio.to_thread(self._import, data, name)

    def _import(self, data: bytes, name: str):
        try:
            with self._session() as (s, p):
                p = require(require(p, VIEW, KEY), meters.RECORD, KEY)
                month, read_on = _month(self.month), _day(self.read_on)
                if month is None or read_on is None or not self.building:
                    return rx.toast.error("请先选择楼栋、月份和抄表日期", position="top-center")
                try:
                    frame = io.read_sheet(data, name)
                except ValueError as exc:
                    return rx.toast.error(str(exc), position="top-center")
                b = s.get(Building, int(self.building))
                if b is None or not in_scope(p, project_id=b.project_id):
                    raise Forbidden("楼栋不存在或无权访问")
                entries, bad = meters.entries_from_sheet(s, b.project_id, frame.to_dicts())
                out = meters.record(s, p, month, read_on, entries) if entries else meters.Outcome()
        except Forbidden as exc:
            return self._refused(exc)
        return self._after(out, bad, "导入")


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _select(name: str, value, items, width: str = "220px") -> rx.Component:
    return rx.select.root(
        rx.select.trigger(width=width, id=f"meter-{name}"),
        rx.select.content(rx.foreach(items, lambda o: rx.select.item(o["label"], value=o["value"]))),
        value=value,
        on_change=lambda v: MeterEntryState.choose(name, v),
    )


def _cell(row, i, name: str, width: str, label: str) -> rx.Component:
    S = MeterEntryState
    return rx.input(
        default_value=row[name],
        on_blur=lambda v: S.typed(i, name, v),
        placeholder=label,
        width=width,
        size="1",
        input_mode="decimal",
        custom_attrs={"aria-label": label},
        id=f"meter-{name}-" + row["code"],
    )


def _row(row, i) -> rx.Component:
    saved = row["saved"] == "1"
    status = rx.cond(
        row["error"] != "",
        rx.text(row["error"], color="var(--red-11)", size="1"),
        rx.cond(row["warning"] != "", rx.text(row["warning"], color="var(--amber-11)", size="1"), ""),
    )
    entry = rx.hstack(
        _cell(row, i, "input", "110px", "本月读数"),
        rx.checkbox(
            "换表",
            checked=row["swap"] == "1",
            on_change=lambda c: MeterEntryState.swap(i, c),
            size="1",
            id="meter-swap-" + row["code"],
        ),
        rx.cond(
            row["swap"] == "1",
            rx.hstack(_cell(row, i, "old_final", "96px", "旧表止码"), _cell(row, i, "new_initial", "96px", "新表起码")),
        ),
        align="center",
        spacing="2",
        white_space="nowrap",
    )
    return rx.table.row(
        rx.table.cell(row["code"]),
        rx.table.cell(row["place"]),
        rx.table.cell(row["kind"]),
        rx.table.cell(row["multiplier"], align="right"),
        rx.table.cell(row["previous"], align="right"),
        rx.table.cell(row["usual"], align="right"),
        rx.table.cell(
            rx.cond(
                saved,
                rx.hstack(rx.text(row["reading"]), rx.badge("已录入", color_scheme="green"), spacing="2"),
                rx.cond(row["locked"] == "1", rx.badge("已有更晚月份", color_scheme="gray"), entry),
            )
        ),
        rx.table.cell(row["use"], align="right"),
        rx.table.cell(row["amount"], align="right"),
        rx.table.cell(status),
        key=row["id"] + "-" + MeterEntryState.generation.to_string(),
        class_name=rx.cond(row["error"] != "", "meter-row meter-row-bad", "meter-row"),
        id="meter-row-" + row["code"],
    )


def meter_entry_body() -> rx.Component:
    S = MeterEntryState
    head = ("表号", "房间/位置", "表类型", "倍率", "上次读数", "近3月均量", "本月读数", "用量", "金额", "提示")
    controls = rx.hstack(
        _select("building", S.building, S.buildings, "240px"),
        _select("utility", S.utility, [{"value": u.value, "label": u.label + "表"} for u in Utility], "100px"),
        rx.input(
            default_value=S.month,
            on_blur=lambda v: S.choose("month", v),
            placeholder="月份 yyyy-mm",
            width="110px",
            id="meter-month",
            key=S.month,
        ),
        rx.input(
            default_value=S.read_on,
            on_blur=lambda v: S.choose("read_on", v),
            placeholder="抄表日期",
            width="120px",
            id="meter-read-on",
        ),
        rx.spacer(),
        rx.button(
            rx.icon("file-down", size=14), "下载模板", variant="soft", on_click=S.download_template, id="meter-template"
        ),
        rx.upload.root(
            rx.button(rx.icon("upload", size=14), "导入Excel", variant="soft", id="meter-import"),
            id=UPLOAD_ID,
            accept={"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"]},
            max_files=1,
            max_size=io.MAX_IMPORT_BYTES,
            # The login token rides along (the upload guard refuses an upload without it); a Var the browser fills.
            on_drop=S.upload(rx.upload_files(upload_id=UPLOAD_ID, extra_headers={SESSION_HEADER: cast(str, S.token)})),
        ),
        rx.button(rx.icon("save", size=14), "保存读数", on_click=S.save, id="meter-save"),
        align="center",
        spacing="3",
        width="100%",
        wrap="wrap",
    )
    problems = rx.cond(
        S.problems.length() > 0,
        rx.box(
            rx.foreach(
                S.problems,
                lambda x: rx.text(
                    x["row"],
                    "：",
                    x["why"],
                    size="1",
                    color=rx.cond(x["tone"] == "red", "var(--red-11)", "var(--amber-11)"),
                ),
            ),
            id="meter-problems",
            padding="8px 12px",
            border=f"1px solid {theme.BORDER}",
            border_radius="8px",
            background="white",
            width="100%",
        ),
    )
    return rx.vstack(
        rx.hstack(
            rx.heading("抄表录入", size="5"),
            rx.text(
                "输入本月读数后按 Enter 或 Tab 到下一行；读数小于上次须标记换表。", size="2", color=theme.TEXT_MUTED
            ),
            rx.spacer(),
            rx.link("公摊计算 →", href="/meters/register?f_kind=master", size="2"),
            align="center",
            width="100%",
        ),
        controls,
        rx.cond(S.outcome != "", rx.callout(S.outcome, icon="info", id="meter-outcome", width="100%")),
        problems,
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*(rx.table.column_header_cell(h, white_space="nowrap") for h in head))),
                rx.table.body(rx.foreach(S.rows, _row)),
                variant="surface",
                size="1",
                width="100%",
                id="meter-grid",
            ),
            width="100%",
            overflow_x="auto",
        ),
        rx.cond(
            S.rows.length() == 0,
            rx.text("该楼栋没有此类仪表，请先在“仪表档案”中登记。", size="2", color=theme.TEXT_MUTED),
        ),
        spacing="3",
        width="100%",
    )
