"""Rows ticked on the list, and the actions (and delete) run on them after a confirmation: on the
ticked rows from the bulk bar, or on one row from its own button or 更多 menu.

An action runs only where it applies (its ``when``): each row lists the actions that apply to it
(states/listing.py), the bulk bar offers those that apply to every ticked row (to every matching
row: one query), and the server refuses any other (crud.run_action)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import reflex as rx

from clss_app.admin import crud
from clss_app.admin.fields import FieldSpec
from clss_app.admin.query import applicable_to_all, count, matching_ids, row_title
from clss_app.admin.states.base import AdminBase
from clss_app.compat import MapField, event, map_field
from clss_app.event_guard import refusal
from clss_app.services.permissions import DELETE, VIEW, Forbidden, can, require


@dataclass
class InputOption:
    value: str = ""
    label: str = ""


@dataclass
class ActionInput:
    """One field an action asks for in its confirm dialog."""

    name: str = ""
    label: str = ""
    kind: str = "text"  # an <input> type, or "select"
    required: bool = False
    hint: str = ""
    options: list[InputOption] = field(default_factory=list)
    picker: str = ""  # "date" / "datetime": a text box with the calendar of assets/clss.js


def _action_input(spec: FieldSpec, choices: list[tuple[str, str]] | None = None) -> ActionInput:
    """``choices``: the options an action offers for these rows (Action.choices), else the field's own."""
    kinds = {"int": "number"}  # dates: text boxes with the page's calendar, never the browser's mm/dd/yyyy
    choices = spec.choices() if choices is None else choices
    return ActionInput(
        spec.name,
        spec.label,
        "select" if choices else kinds.get(spec.kind, "text"),
        spec.required,
        spec.help,
        [InputOption(v, label) for v, label in choices],
        spec.kind if spec.kind in ("date", "datetime") and not spec.month else "",
    )


def acts_text(names: list[str]) -> str:
    """A row's applicable actions as the row carries them: ",pay,waive_late_fee," (tested with contains)."""
    return "," + ",".join(names) + ","


class SelectionMixin(AdminBase, mixin=True):
    selected: rx.Field[list[str]] = rx.field(default_factory=list)
    all_matching: rx.Field[bool] = rx.field(False)
    bulk_actions: rx.Field[list[str]] = rx.field(default_factory=list)  # those valid for every ticked row
    bulk_hint: rx.Field[str] = rx.field("")  # why the bar offers none
    confirm_title: rx.Field[str] = rx.field("请确认")

    _acts_of: dict[str, str] = {}  # row id -> its applicable actions, for the rows this list has shown
    _acting: list[str] = []  # the rows the open confirm dialog acts on ([] with _acting_all: every match)
    _acting_all: bool = False

    def _note_acts(self, rows: list[dict[str, str]], fresh: bool) -> None:
        """Remember what applies to the rows shown; the bulk bar follows (a row may have changed state)."""
        self._acts_of = {**({} if fresh else self._acts_of), **{r["id"]: r.get("_acts", ",") for r in rows}}

    def _bulk_from_rows(self) -> None:
        admin = self._admin()
        if not self.selected:
            self._put(bulk_actions=[], bulk_hint="")
            return
        acts = [set(self._acts_of.get(i, ",").strip(",").split(",")) - {""} for i in self.selected]
        common = set.intersection(*acts)
        self._put(bulk_actions=[a.name for a in admin.actions if a.name in common])
        if common or not any(can_act for can_act in self.action_perms.values()):
            self._put(bulk_hint="")
        elif any(acts):
            self._put(bulk_hint="所选记录的状态不同，没有对全部适用的操作（可先按状态筛选）")
        else:
            self._put(bulk_hint="所选记录当前没有可执行的操作")

    def _bulk_from_query(self, session, admin, p) -> None:
        allowed = [a for a in admin.actions if can(p, f"action:{a.name}", admin.key)]
        fit = applicable_to_all(session, admin, p, self._query(), allowed)
        self._put(bulk_actions=fit)
        hint = "符合条件的记录状态不同，没有对全部适用的操作（可先按状态筛选）" if allowed and not fit else ""
        self._put(bulk_hint=hint)

    confirm_open: rx.Field[bool] = rx.field(False)
    confirm_action: rx.Field[str] = rx.field("")
    confirm_text: rx.Field[str] = rx.field("")
    confirm_input_label: rx.Field[str] = rx.field("")
    confirm_inputs: rx.Field[list[ActionInput]] = rx.field(default_factory=list)
    confirm_errors: MapField[dict[str, str]] = map_field(dict)
    confirm_error: rx.Field[str] = rx.field("")

    # ------------------------------------------------------------ selection
    @event
    def toggle_row(self, row_id: str):
        if not any(r["id"] == row_id for r in self.rows):  # only a row of the page on screen
            return refusal()
        self.all_matching = False
        self.selected = (
            [i for i in self.selected if i != row_id] if row_id in self.selected else self.selected + [row_id]
        )
        self._bulk_from_rows()

    @event
    def toggle_page(self):
        ids = [r["id"] for r in self.rows]
        self.all_matching = False
        self.selected = [] if all(i in self.selected for i in ids) else ids
        if self.rows:
            self._bulk_from_rows()

    @event
    def select_all_matching(self):
        admin = self._admin()
        try:
            with self._session() as (s, p):
                p = require(p, VIEW, admin.key)
                self.selected = [r["id"] for r in self.rows]
                self.all_matching = True
                self._bulk_from_query(s, admin, p)
        except Forbidden as exc:
            return self._refused(exc)

    @event
    def clear_selection(self):
        self.selected, self.all_matching = [], False
        self._put(bulk_actions=[], bulk_hint="")

    # ------------------------------------------------------------ one row's own actions
    @event
    def row_action(self, row_id: str, name: str):
        """A row's button or 更多 item: the confirm dialog for that row alone (the ticks stay as they are)."""
        if not any(r["id"] == row_id for r in self.rows):  # a row of the page on screen
            return refusal()
        return self._ask_for_row(row_id, name)

    def _ask_for_row(self, row_id: str, name: str):
        """The confirm dialog of action ``name`` for one row the user may act on; a refusal otherwise."""
        admin = self._admin()
        action = next((a for a in admin.actions if a.name == name), None)
        if action is None:
            return refusal()
        try:
            with self._session() as (s, p):
                p = require(p, f"action:{action.name}", admin.key)
                row = crud.get_row(s, admin, p, row_id)
                problem = crud.not_applicable(admin, action, [row])
                if problem:
                    return refusal(problem)
                label = row_title(s, admin, p, row)
                choices = action.choices(s, p, [row]) if action.choices else {}
        except Forbidden as exc:
            return self._refused(exc)
        self._ask(action, "1", f"{action.label}：{label}", choices)
        self._acting, self._acting_all = [row_id], False

    # ------------------------------------------------------------ actions
    @event
    def ask_action(self, name: str):
        """The bulk bar's button: the confirm dialog for the ticked rows (or every matching row)."""
        admin = self._admin()
        action = next((a for a in admin.actions if a.name == name), None)
        if action is None and name != "__delete__":
            return refusal()
        n = str(len(self.selected))
        choices: dict[str, list[tuple[str, str]]] = {}
        if self.all_matching or (action is not None and (action.when or action.choices)):
            try:
                with self._session() as (s, p):
                    p = require(p, VIEW, admin.key)
                    if self.all_matching:  # counted now: what it will act on, not what a list once showed
                        total, exact = count(s, admin, p, self._query())
                        n = f"{total:,}" if exact else f"{total:,}+"
                    problem = self._not_for_all(s, admin, p, action) if action is not None else ""
                    if action is not None and action.choices and not self.all_matching and not problem:
                        ids = [int(i) for i in self.selected if str(i).isdigit()][:500]
                        choices = dict(action.choices(s, p, [crud.get_row(s, admin, p, i) for i in ids]))
            except Forbidden as exc:
                return self._refused(exc)
            if problem:
                return refusal(problem)
        self._ask(action, n, "请确认", choices)
        self._acting, self._acting_all = list(self.selected), self.all_matching

    def _not_for_all(self, session, admin, p, action) -> str:
        """Why the action does not apply to every chosen row ("" if it does): as the server will judge."""
        if not action.when:
            return ""
        if self.all_matching:
            if applicable_to_all(session, admin, p, self._query(), [action]):
                return ""
            return f"符合条件的记录中有不能执行“{action.label}”的（状态不符），请先按状态筛选"
        ids = [int(i) for i in self.selected if str(i).isdigit()]
        rows = [crud.get_row(session, admin, p, i) for i in ids[:500]]  # only rows of the lists shown
        return crud.not_applicable(admin, action, rows)

    def _ask(self, action, n: str, title: str, choices: Mapping[str, list[tuple[str, str]]] | None = None) -> None:
        if action is None:
            self.confirm_text = f"确定删除选中的 {n} 条记录吗？删除后不可恢复。"
            self.confirm_input_label, self.confirm_inputs = "", []
        else:
            self.confirm_text = (action.confirm or f"确定对选中的 {{n}} 条记录执行“{action.label}”吗？").format(n=n)
            self.confirm_input_label = action.input_label
            self.confirm_inputs = [_action_input(f, (choices or {}).get(f.name)) for f in action.inputs]
        self.confirm_error, self.confirm_errors = "", {}
        self.confirm_title = title
        self.confirm_action = "__delete__" if action is None else action.name
        self.confirm_open = True

    @event
    def cancel_action(self):
        self.confirm_open = False

    @event
    def run_action(self, form: dict | None = None):
        """Runs the confirmed action; every check happens again on the server."""
        admin = self._admin()
        name = self.confirm_action
        text = str((form or {}).get("input", ""))
        ids = None if self._acting_all else [int(i) for i in self._acting if str(i).isdigit()]
        try:
            with self._session() as (s, p):
                p = require(p, VIEW, admin.key)
                if ids == []:  # nothing (left) selected: say so, never "成功 0 条"
                    self.confirm_open = False
                    return rx.toast.warning("请先勾选要操作的记录", position="top-center")
                if name == "__delete__":
                    if ids is None:
                        require(p, DELETE, admin.key)
                        ids = matching_ids(s, admin, p, self._query(), crud.MAX_BULK)
                    result = crud.delete(s, admin, p, ids)
                    verb = "删除"
                else:
                    action = next(a for a in admin.actions if a.name == name)
                    result = crud.run_action(
                        s, admin, action, p, ids=ids, query=self._query(), text=text, raw=form or {}
                    )
                    verb = action.label
        except crud.ValidationFailed as exc:
            # The dialog stays open with what was typed; field errors show under their field.
            asked = {f.name for f in self.confirm_inputs}
            self.confirm_errors = {k: v for k, v in exc.errors.items() if k in asked}
            self.confirm_error = "；".join(v for k, v in exc.errors.items() if k not in asked)
            return
        except Forbidden as exc:
            self.confirm_open = False
            return self._refused(exc)
        except StopIteration:  # no action was asked for
            self.confirm_open = False
            return refusal()
        self.confirm_open = False
        self._acting, self._acting_all = [], False
        self.selected, self.all_matching = [], False
        self._put(bulk_actions=[], bulk_hint="")
        toast = rx.toast.success if not result.refused else rx.toast.warning
        return [
            *self._fetch(fresh=True),
            toast(result.message(verb), position="top-center", duration=15000 if result.notes else 5000),
            *([rx.redirect(result.goto)] if result.goto.startswith("/") and result.done else []),
            *([rx.download(url=result.download)] if result.download.startswith("/") and result.done else []),
        ]
