"""工作台 房态图: a project's rooms by building and floor, with single and batch lock/unlock.

The page is thin: the rules (who may change which room, the conditional
update, history and audit) are in ``clss_app.services.room_status``; every
handler here resolves the user again and checks the project is theirs.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import reflex as rx

from clss_app.admin.fields import MAX_INT
from clss_app.core.clock import SHANGHAI
from clss_app.core.rows import saved_id
from clss_app.event_guard import refusal
from clss_app.services import accounts, figures, room_board, room_status
from clss_app.services.permissions import VIEW, Forbidden, require
from clss_app.state import AuthState
from clss_app.ui import theme
from clss_app.ui.card import card
from clss_app.ui.event import event
from models import LockKind, RoomStatus

KEY = "workbench"
REFRESH_MS = 5_000
ROOM_NOT_FOUND = "房间不存在或无权访问"  # a room of another project gets the answer of a missing one


@dataclasses.dataclass
class Tile:
    id: int = 0
    number: str = ""
    status: str = ""
    label: str = ""  # "number\nunit type\nrent · lock kind": one text node a tile (CSS bolds line 1)
    marks: str = ""  # CSS classes: m-exp 即将到期, m-debt 欠费, m-fix 工单超时, p1 / p2 one or two tenants


@dataclasses.dataclass
class FloorRow:
    building: str = ""
    floor: str = ""
    tiles: list[Tile] = dataclasses.field(default_factory=list)


class WorkbenchState(AuthState):
    projects: list[dict[str, str]] = []
    project_id: str = ""
    rows: rx.Field[list[FloorRow]] = rx.field(default_factory=list)
    counts: dict[str, int] = {s.value: 0 for s in RoomStatus}  # every status, 0 included
    total: int = 0
    occupancy: str = "—"  # 出租率 of the project, by the one definition (services/figures.py)
    f_status: str = ""
    f_building: str = ""
    f_floor: str = ""
    f_unit_type: str = ""
    buildings: list[str] = []
    floors: list[str] = []
    unit_types: list[str] = []

    mode: str = "single"  # single | batch
    target: str = "vacant"  # batch mode picks rooms of this status
    selected: rx.Field[list[int]] = rx.field(default_factory=list)

    panel_open: bool = False
    panel: dict[str, str] = {}
    panel_history: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    lock_open: bool = False
    lock_error: str = ""
    _seen: dict[int, int] = {}  # room id -> version on the board (what lock/unlock expect)
    _rooms: list[tuple] = []  # the board's rows as read, so a change of our own repaints without a re-read
    _marks: dict[int, str] = {}
    mark_counts: dict[str, int] = {}
    _signature: tuple = ()

    # ------------------------------------------------------------ loading
    @event
    def load(self):
        try:
            with self._session() as (s, p):
                rows = room_board.projects(s, require(p, VIEW, KEY))
        except Forbidden as exc:
            return self._refused(exc)
        self.projects = [{"id": str(i), "name": n, "label": f"{n}（{c} 间）"} for i, n, c in rows]
        wanted = str(self.router.url.query_parameters.get("project", ""))
        ids = [p["id"] for p in self.projects]
        choice = wanted if wanted in ids else (self.project_id if self.project_id in ids else (ids[0] if ids else ""))
        return self.choose_project(choice) if choice else None

    @event
    def choose_project(self, project_id: str):
        if not project_id.isdigit() or int(project_id) > MAX_INT:
            return refusal()
        self.project_id = project_id
        self.f_status = self.f_building = self.f_floor = self.f_unit_type = ""
        self.selected, self.panel_open, self._signature = [], False, ()
        return self._fetch()

    def _fetch(self, quiet: bool = False):
        try:
            with self._session() as (s, p):
                p = require(p, VIEW, KEY)
                pid = int(self.project_id or 0)
                if p.project_ids is not None and pid not in p.project_ids:
                    raise Forbidden("项目不存在或无权访问")
                signature = room_board.signature(s, pid)
                if quiet and signature == self._signature:
                    return  # nothing changed since the last look
                rooms = room_board.rooms(s, pid)
                marks = room_board.board_marks(s, pid)
        except Forbidden as exc:
            self.rows, self.counts, self.total = [], {st.value: 0 for st in RoomStatus}, 0
            self.occupancy = "—"
            return self._refused(exc)
        self._signature = signature
        self._rooms = [tuple(r) for r in rooms]
        self._marks = {
            room: " ".join(
                c
                for c, on in (
                    ("m-exp", m["expiring"]),
                    ("m-debt", m["arrears"]),
                    ("m-fix", m["repair"]),
                    (f"p{m['people']}", m["people"]),
                )
                if on
            )
            for room, m in marks.items()
        }
        self.mark_counts = {
            "expiring": sum(m["expiring"] for m in marks.values()),
            "arrears": sum(m["arrears"] for m in marks.values()),
            "repair": sum(m["repair"] for m in marks.values()),
        }
        self._build(self._rooms)

    def _build(self, rooms) -> None:
        self._seen = {r[0]: r[3] for r in rooms}
        found = Counter(RoomStatus(r[2]).value for r in rooms)
        self.counts = {s.value: found[s.value] for s in RoomStatus}
        self.total = len(rooms)
        rented, rentable = figures.occupancy(found)
        self.occupancy = figures.occupancy_text(rented, rentable)
        self.buildings = sorted({r[7] for r in rooms})
        self.floors = [str(f) for f in sorted({r[4] for r in rooms})]
        self.unit_types = sorted({r[8] for r in rooms if r[8]})
        rows: dict[tuple, FloorRow] = {}
        for room_id, number, status, _, floor_no, rent, lock_kind, building, unit_type in rooms:
            status = RoomStatus(status).value
            if (
                (self.f_status and status != self.f_status)
                or (self.f_building and building != self.f_building)
                or (self.f_floor and str(floor_no) != self.f_floor)
                or (self.f_unit_type and unit_type != self.f_unit_type)
            ):
                continue
            row = rows.setdefault((building, floor_no), FloorRow(building=building, floor=f"{floor_no}层"))
            note = f" · {LockKind(lock_kind).label}" if lock_kind else ""
            row.tiles.append(
                Tile(
                    id=room_id,
                    number=number,
                    status=status,
                    label=f"{number}\n{unit_type or '—'}\n¥{rent:,.0f}{note}",
                    marks=self._marks.get(room_id, ""),
                )
            )
        self.rows = list(rows.values())
        still = set(self._seen)
        self.selected = [i for i in self.selected if i in still]

    @event
    def refresh(self, _now: str = ""):
        """Follows other users' changes: re-reads only when the project's rooms changed."""
        if self.project_id and self.page_status == "ok" and not self.lock_open:
            return self._fetch(quiet=True)

    @event
    def set_board_filter(self, name: str, value: str):
        if name in ("f_status", "f_building", "f_floor", "f_unit_type"):
            setattr(self, name, "" if value == "__all__" else str(value)[:32])
            self._build(self._rooms)

    # ------------------------------------------------------------ selection
    @event
    def set_mode(self, mode: str | list[str]):
        self.mode = "batch" if mode == "batch" else "single"
        self.selected, self.panel_open = [], False

    @event
    def set_target(self, target: str | list[str]):
        self.target = "locked" if target == "locked" else "vacant"
        self.selected = []

    @event
    def click_tile(self, room_id: int, status: str):
        if room_id not in self._seen:  # only a room on this board
            return refusal(ROOM_NOT_FOUND)
        if self.mode == "batch":
            if status != self.target:
                return rx.toast.warning(
                    f"批量{'锁定' if self.target == 'vacant' else '解锁'}只能选择{RoomStatus(self.target).label}的房间",
                    position="top-center",
                )
            self.selected = (
                [i for i in self.selected if i != room_id] if room_id in self.selected else self.selected + [room_id]
            )
            return
        return self.open_panel(room_id)

    @event
    def select_all_shown(self):
        self.selected = [t.id for row in self.rows for t in row.tiles if t.status == self.target]

    @event
    def clear_selection(self):
        self.selected = []

    # ------------------------------------------------------------ panel
    @event
    def open_panel(self, room_id: int):
        try:
            with self._session() as (s, p):
                history = room_status.history(s, p, int(room_id))
                room, building, unit_type = room_board.room_with_place(s, int(room_id))
                live = room_board.live_lease(s, int(room_id))
                names = accounts.staff_names(s, [room.locked_by_id], [h.username for h in history])
        except Forbidden as exc:
            return self._refused(exc)
        self.panel = {
            "lease": "",  # none live: the panel shows no lease line
            **live,
            "id": str(room.id),
            "number": room.number,
            "building": building,
            "floor": f"{room.floor_no}层",
            "unit_type": unit_type or "—",
            "area": f"{room.area} ㎡",
            "rent": f"¥{room.rent:,.2f}/月",
            "deposit": f"¥{room.deposit:,.2f}",
            "orientation": room.orientation or "—",
            "status": room.status.value,
            "status_label": room.status.label,
            "lock": (
                f"{room.lock_kind.label}：{room.lock_reason}（{names.get(room.locked_by_id or 0, '')}，"
                f"{room.locked_at.astimezone(SHANGHAI):%m-%d %H:%M}）"
            )
            if room.lock_kind and room.locked_at
            else "",
        }
        self.panel_history = [
            {
                "at": h.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                "text": f"{RoomStatus(h.from_status).label} → {RoomStatus(h.to_status).label}",
                "who": names.get(h.username, h.username),
                "reason": h.reason,
            }
            for h in history
        ]
        self._seen[saved_id(room)] = room.version
        self.panel_open = True

    @event
    def panel_change(self, is_open: bool):
        self.panel_open = is_open

    # ------------------------------------------------------------ lock / unlock
    @event
    def ask_lock(self, room_id: str = ""):
        if room_id:
            if not room_id.isdigit() or int(room_id) not in self._seen:  # only a room on this board
                return refusal(ROOM_NOT_FOUND)
            self.selected = [int(room_id)]
        if not self.selected:
            return rx.toast.warning("请先选择房间", position="top-center")
        self.lock_error, self.lock_open = "", True

    @event
    def lock_change(self, is_open: bool):
        self.lock_open = is_open

    @event
    def lock(self, form: dict):
        kind = {k.label: k for k in LockKind}.get(str(form.get("kind_label", "")), LockKind.ORDINARY)
        try:
            with self._session() as (s, p):
                out = room_status.lock(
                    s, p, {i: self._seen.get(i, -1) for i in self.selected}, kind, str(form.get("reason", ""))
                )
        except ValueError as exc:
            self.lock_error = str(exc)
            return
        except Forbidden as exc:
            self.lock_open = False
            return self._refused(exc)
        self.lock_open = self.panel_open = False
        return self._after(out, "锁定")

    @event
    def unlock(self, room_id: str = ""):
        if room_id and (not room_id.isdigit() or int(room_id) not in self._seen):
            return refusal(ROOM_NOT_FOUND)
        chosen = [int(room_id)] if room_id else list(self.selected)
        try:
            with self._session() as (s, p):
                out = room_status.unlock(s, p, {i: self._seen.get(i, -1) for i in chosen})
        except ValueError as exc:
            return rx.toast.warning(str(exc), position="top-center")
        except Forbidden as exc:
            return self._refused(exc)
        self.panel_open = False
        return self._after(out, "解锁")

    def _after(self, out, verb: str):
        """Repaint from what the change did; a concurrent change elsewhere shows up on the next refresh."""
        self.selected = []
        status, kind = (RoomStatus.LOCKED, out.lock_kind) if verb == "锁定" else (RoomStatus.VACANT, None)
        changed = set(out.changed_ids)
        self._rooms = [
            (r[0], r[1], status, r[3] + 1, r[4], r[5], kind, r[7], r[8]) if r[0] in changed else r for r in self._rooms
        ]
        if self._signature:
            self._signature = (self._signature[0], self._signature[1] + len(changed), *self._signature[2:])
        self._build(self._rooms)
        toast = rx.toast.success if not out.refused else rx.toast.warning
        return toast(out.message(verb), position="top-center", duration=8000)


S = WorkbenchState

# What the panel offers per status: links into the flows' own pages (which check role and scope again),
# "new=1" opening the form prefilled with this room.
PANEL_FLOWS = {
    "vacant": [
        ("预定", "calendar-check", "/leasing/reservations", "&new=1"),
        ("签约", "signature", "/contracts", "&new=1"),
    ],
    "reserved": [("转签约 / 取消预定", "calendar-check", "/leasing/reservations", "")],
    "signed": [("办理入住", "log-in", "/leasing/check-ins", ""), ("账单", "receipt", "/finance/bills", "")],
    "occupied": [
        ("合同", "file-text", "/contracts", ""),
        ("办理退房", "log-out", "/leasing/check-outs", ""),
        ("账单", "receipt", "/finance/bills", ""),
    ],
}


# ---------------------------------------------------------------- components


def _select(value, on_change, options, all_label, id_):
    return rx.el.select(
        rx.el.option(all_label, value=""),
        rx.foreach(options, lambda o: rx.el.option(o, value=o)),
        value=value,
        on_change=on_change,
        class_name="clss-select",
        id=id_,
    )


def _legend() -> rx.Component:
    def chip(status: RoomStatus):  # colours from the tiles' own CSS classes (assets/admin.css)
        return rx.hstack(
            rx.el.span(class_name=f"clss-swatch clss-{status.value}"),
            rx.text(status.label, size="2"),
            rx.el.span(S.counts[status.value], class_name=f"clss-count clss-{status.value}"),
            spacing="1",
            align="center",
            cursor="pointer",
            data_status=status.value,
            on_click=S.set_board_filter("f_status", status.value),
        )

    def mark(css, label, key, hint):
        return rx.tooltip(
            rx.hstack(
                rx.el.span(class_name=f"clss-mark {css}"),
                rx.text(label, size="2"),
                rx.el.span(rx.cond(S.mark_counts.contains(key), S.mark_counts[key], 0), class_name="clss-count"),
                spacing="1",
                align="center",
                cursor="help",
                id=f"board-mark-{key}",
            ),
            content=hint,
        )

    occupancy = rx.tooltip(
        rx.hstack(
            rx.text(figures.OCCUPANCY.label, size="2"),
            rx.text.strong(S.occupancy, id="board-occupancy"),
            rx.icon("info", size=13, color=theme.TEXT_MUTED),
            spacing="1",
            align="center",
            cursor="help",
            id="board-occupancy-hint",
        ),
        content=figures.OCCUPANCY.hint,
    )
    return rx.hstack(
        rx.text("共 ", rx.text.strong(S.total), " 间", size="2"),
        occupancy,
        *[chip(s) for s in RoomStatus],
        rx.divider(orientation="vertical", size="1"),
        mark("m-exp", "即将到期", "expiring", "合同 30 天内到期"),
        mark("m-debt", figures.OVERDUE_MARK.label, "arrears", figures.OVERDUE_MARK.hint),
        mark("m-fix", "工单超时", "repair", "房间有已派工、超过要求完成时间仍未回单的报修工单"),
        rx.hstack(
            rx.el.span(class_name="clss-mark p1"),
            rx.text("独住", size="2"),
            rx.el.span(class_name="clss-mark p2"),
            rx.text("合住", size="2"),
            spacing="1",
            align="center",
        ),
        spacing="4",
        align="center",
        wrap="wrap",
        id="board-counts",
    )


def _toolbar() -> rx.Component:
    status_options = rx.fragment(*[rx.el.option(s.label, value=s.value) for s in RoomStatus])
    return rx.vstack(
        rx.hstack(
            rx.el.select(
                rx.foreach(S.projects, lambda p: rx.el.option(p["label"], value=p["id"])),
                value=S.project_id,
                on_change=S.choose_project,
                class_name="clss-select",
                id="board-project",
            ),
            rx.el.select(
                rx.el.option("全部房态", value=""),
                status_options,
                value=S.f_status,
                on_change=lambda v: S.set_board_filter("f_status", v),
                class_name="clss-select",
                id="board-status",
            ),
            _select(
                S.f_building, lambda v: S.set_board_filter("f_building", v), S.buildings, "全部楼栋", "board-building"
            ),
            _select(S.f_floor, lambda v: S.set_board_filter("f_floor", v), S.floors, "全部楼层", "board-floor"),
            _select(
                S.f_unit_type,
                lambda v: S.set_board_filter("f_unit_type", v),
                S.unit_types,
                "全部户型",
                "board-unit-type",
            ),
            rx.spacer(),
            rx.segmented_control.root(
                rx.segmented_control.item("单个选择", value="single"),
                rx.segmented_control.item("批量选择", value="batch"),
                value=S.mode,
                on_change=S.set_mode,
                id="board-mode",
            ),
            width="100%",
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        rx.cond(
            S.mode == "batch",
            rx.hstack(
                rx.segmented_control.root(
                    rx.segmented_control.item("空闲可租 → 锁定", value="vacant"),
                    rx.segmented_control.item("不可租 → 解锁", value="locked"),
                    value=S.target,
                    on_change=S.set_target,
                    size="1",
                    id="board-target",
                ),
                rx.text("已选 ", rx.text.strong(S.selected.length()), " 间", size="2", id="board-selected"),
                rx.button("全选当前", size="1", variant="soft", on_click=S.select_all_shown, id="board-select-all"),
                rx.button("清空", size="1", variant="ghost", on_click=S.clear_selection),
                rx.spacer(),
                rx.cond(
                    S.target == "vacant",
                    rx.button(
                        rx.icon("lock", size=14),
                        "锁定所选",
                        on_click=S.ask_lock(""),
                        id="board-lock",
                        disabled=S.selected.length() == 0,
                    ),
                    rx.button(
                        rx.icon("lock-open", size=14),
                        "解锁所选",
                        on_click=S.unlock(""),
                        id="board-unlock",
                        color_scheme="green",
                        disabled=S.selected.length() == 0,
                    ),
                ),
                width="100%",
                align="center",
                spacing="3",
                padding="8px 12px",
                border_radius="8px",
                background="#eff6ff",
            ),
        ),
        _legend(),
        spacing="3",
        width="100%",
    )


def _tile(t) -> rx.Component:
    # Rooms that batch mode cannot pick are dimmed by the board's class (CSS), not per tile; marks and
    # tenant icons are classes of the tile itself (m-exp / m-debt / p1 / p2, drawn by CSS): no extra
    # element per tile, so 5,000 tiles stay light.
    return rx.el.div(
        t.label,
        class_name=rx.cond(S.selected.contains(t.id), "clss-tile clss-selected clss-", "clss-tile clss-")
        + t.status
        + " "
        + t.marks,
        on_click=S.click_tile(t.id, t.status),
        data_room=t.number,
        data_status=t.status,
        title=t.number,
    )


def _board() -> rx.Component:
    return rx.vstack(
        rx.foreach(
            S.rows,
            lambda row: rx.hstack(
                rx.vstack(
                    rx.text(row.building, size="1", color=theme.TEXT_MUTED),
                    rx.text(row.floor, weight="bold", size="2"),
                    spacing="0",
                    width="88px",
                    flex_shrink="0",
                ),
                rx.el.div(rx.foreach(row.tiles, _tile), class_name="clss-tiles"),
                width="100%",
                align="start",
                padding="8px 0",
                border_bottom=f"1px solid {theme.BORDER}",
            ),
        ),
        rx.cond(
            S.rows.length() == 0,
            rx.center(rx.text("没有符合条件的房间", color=theme.TEXT_MUTED), padding="40px", width="100%"),
        ),
        spacing="0",
        width="100%",
        id="board",
        class_name=rx.cond(S.mode == "batch", "clss-pick-" + S.target, ""),
    )


def _panel() -> rx.Component:
    P = S.panel

    def item(label, key):
        return rx.vstack(
            rx.text(label, size="1", color=theme.TEXT_MUTED),
            rx.text(P[key], size="2"),
            spacing="0",
        )

    return rx.drawer.root(
        rx.drawer.portal(
            rx.drawer.overlay(),
            rx.drawer.content(
                rx.vstack(
                    rx.hstack(
                        rx.heading("房间 ", P["number"], size="5"),
                        rx.badge(P["status_label"], size="2"),
                        rx.spacer(),
                        rx.drawer.close(rx.icon_button(rx.icon("x", size=16), variant="ghost")),
                        width="100%",
                        align="center",
                    ),
                    rx.grid(
                        item("楼栋", "building"),
                        item("楼层", "floor"),
                        item("户型", "unit_type"),
                        item("面积", "area"),
                        item("月租金", "rent"),
                        item("押金", "deposit"),
                        item("朝向", "orientation"),
                        columns="2",
                        spacing="3",
                        width="100%",
                    ),
                    rx.cond(
                        P["lock"] != "",
                        rx.callout(
                            P["lock"], icon="lock", color_scheme="gray", size="1", width="100%", id="panel-lock"
                        ),
                    ),
                    rx.hstack(
                        rx.cond(
                            P["status"] == "vacant",
                            rx.button(
                                rx.icon("lock", size=14), "锁定", on_click=S.ask_lock(P["id"]), id="panel-lock-btn"
                            ),
                        ),
                        rx.cond(
                            P["status"] == "locked",
                            rx.button(
                                rx.icon("lock-open", size=14),
                                "解锁",
                                color_scheme="green",
                                on_click=S.unlock(P["id"]),
                                id="panel-unlock-btn",
                            ),
                        ),
                        *[
                            rx.cond(
                                P["status"] == status,
                                rx.hstack(
                                    *[
                                        rx.link(
                                            rx.button(rx.icon(icon, size=14), label, variant="soft"),
                                            href=f"{path}?f_room_id={P['id']}{extra}",
                                            data_flow=label,
                                        )
                                        for label, icon, path, extra in flows
                                    ],
                                    spacing="2",
                                ),
                            )
                            for status, flows in PANEL_FLOWS.items()
                        ],
                        spacing="2",
                        align="center",
                        wrap="wrap",
                    ),
                    rx.cond(
                        P["lease"] != "",
                        rx.callout(P["lease"], icon="file-text", size="1", width="100%", id="panel-lease"),
                    ),
                    rx.text("房态记录", weight="bold", size="2"),
                    rx.cond(S.panel_history.length() == 0, rx.text("暂无记录", size="2", color=theme.TEXT_MUTED)),
                    rx.foreach(
                        S.panel_history,
                        lambda h: rx.vstack(
                            rx.hstack(
                                rx.text(h["at"], size="1", color=theme.TEXT_MUTED),
                                rx.text(h["who"], size="1"),
                                spacing="2",
                            ),
                            rx.text(h["text"], size="2"),
                            rx.cond(h["reason"] != "", rx.text(h["reason"], size="1", color=theme.TEXT_MUTED)),
                            spacing="0",
                            width="100%",
                            padding="6px 0",
                            border_bottom=f"1px solid {theme.BORDER}",
                        ),
                    ),
                    spacing="4",
                    width="100%",
                    padding="20px",
                    id="room-panel",
                ),
                width="380px",
                height="100%",
                right="0",
                left="auto",
                top="0",
                position="fixed",
                background="white",
                overflow_y="auto",
            ),
        ),
        open=S.panel_open,
        on_open_change=S.panel_change,
        direction="right",
    )


def _lock_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("锁定房间"),
            rx.form(
                rx.vstack(
                    rx.text("将锁定 ", rx.text.strong(S.selected.length()), " 间空闲房间，锁定后不可租。", size="2"),
                    rx.radio_group(
                        ["普通锁定", "事务锁定"],
                        default_value="普通锁定",
                        direction="row",
                        name="kind_label",
                        id="lock-kind",
                    ),
                    rx.text_area(
                        name="reason",
                        placeholder="锁定原因（必填），如：维修、内部使用",
                        max_length=100,
                        width="100%",
                        id="lock-reason",
                    ),
                    rx.cond(S.lock_error != "", rx.text(S.lock_error, size="1", color="#dc2626", id="lock-error")),
                    rx.hstack(
                        rx.dialog.close(rx.button("取消", variant="soft", color_scheme="gray", type="button")),
                        rx.button("确定锁定", type="submit", id="lock-ok"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.lock,
                reset_on_submit=False,
            ),
        ),
        open=S.lock_open,
        on_open_change=S.lock_change,
    )


def workbench_body() -> rx.Component:
    return card(
        rx.vstack(
            rx.hstack(
                rx.heading("房态图", size="5"),
                rx.spacer(),
                rx.text("每 5 秒自动同步他人的修改", size="1", color=theme.TEXT_MUTED),
                width="100%",
            ),
            _toolbar(),
            _board(),
            _panel(),
            _lock_dialog(),
            rx.moment(interval=REFRESH_MS, on_change=S.refresh, display="none"),
            spacing="4",
            width="100%",
        )
    )
