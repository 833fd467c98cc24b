"""Rows ticked on the list, and the bulk actions (and delete) run on them after a confirmation."""

from __future__ import annotations

from dataclasses import dataclass, field

import reflex as rx

from clss_app.admin import crud
from clss_app.admin.fields import FieldSpec
from clss_app.admin.query import count, matching_ids
from clss_app.admin.states.base import AdminBase
from clss_app.compat import MapField, event, map_field
from clss_app.event_guard import refusal
from clss_app.services.permissions import DELETE, VIEW, Forbidden, require


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


def _action_input(spec: FieldSpec) -> ActionInput:
    kinds = {"int": "number"}  # dates: text boxes with the page's calendar, never the browser's mm/dd/yyyy
    choices = spec.choices()
    return ActionInput(
        spec.name,
        spec.label,
        "select" if choices else kinds.get(spec.kind, "text"),
        spec.required,
        spec.help,
        [InputOption(v, label) for v, label in choices],
        spec.kind if spec.kind in ("date", "datetime") and not spec.month else "",
    )


class SelectionMixin(AdminBase, mixin=True):
    selected: rx.Field[list[str]] = rx.field(default_factory=list)
    all_matching: rx.Field[bool] = rx.field(False)

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

    @event
    def toggle_page(self):
        ids = [r["id"] for r in self.rows]
        self.all_matching = False
        self.selected = [] if all(i in self.selected for i in ids) else ids

    @event
    def select_all_matching(self):
        self.selected = [r["id"] for r in self.rows]
        self.all_matching = True

    @event
    def clear_selection(self):
        self.selected, self.all_matching = [], False

    # ------------------------------------------------------------ actions
    @event
    def ask_action(self, name: str):
        admin = self._admin()
        action = next((a for a in admin.actions if a.name == name), None)
        if action is None and name != "__delete__":
            return refusal()
        n = str(len(self.selected))
        if self.all_matching:  # counted now: what the action will act on, not what a list once showed
            try:
                with self._session() as (s, p):
                    p = require(p, VIEW, admin.key)
                    total, exact = count(s, admin, p, self._query())
            except Forbidden as exc:
                return self._refused(exc)
            n = f"{total:,}" if exact else f"{total:,}+"
        if action is None:
            self.confirm_text = f"确定删除选中的 {n} 条记录吗？删除后不可恢复。"
            self.confirm_input_label, self.confirm_inputs = "", []
        else:
            self.confirm_text = (action.confirm or f"确定对选中的 {{n}} 条记录执行“{action.label}”吗？").format(n=n)
            self.confirm_input_label = action.input_label
            self.confirm_inputs = [_action_input(f) for f in action.inputs]
        self.confirm_error, self.confirm_errors = "", {}
        self.confirm_action = name
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
        ids = None if self.all_matching else [int(i) for i in self.selected if str(i).isdigit()]
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
        self.selected, self.all_matching = [], False
        toast = rx.toast.success if not result.refused else rx.toast.warning
        return [
            *self._fetch(fresh=True),
            toast(result.message(verb), position="top-center", duration=15000 if result.notes else 5000),
        ]
