"""One row's detail dialog: a header (title, state badge, the actions that apply), its fields in groups,
its related records as tabs with totals, its timeline (who changed its state, when, why), its audit
history, its attachment."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from clss_app.admin import attachments, audit, crud, downloads, privacy, stored_files
from clss_app.admin.fields import HINT, SHANGHAI
from clss_app.admin.look import tone_of
from clss_app.admin.query import display, row_title
from clss_app.admin.related import RelatedTab, tabs
from clss_app.admin.states.fields import FieldsMixin
from clss_app.admin.timeline import timeline
from clss_app.admin.view import ModelAdmin
from clss_app.compat import event
from clss_app.event_guard import refusal
from clss_app.services import accounts
from clss_app.services.permissions import VIEW, Forbidden, Principal, require


class DetailMixin(FieldsMixin, mixin=True):
    detail_open: rx.Field[bool] = rx.field(False)
    detail_title: rx.Field[str] = rx.field("")
    detail_items: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    detail_history: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    detail_groups: rx.Field[list[str]] = rx.field(default_factory=list)  # titles; each item names its group
    detail_state: rx.Field[str] = rx.field("")  # the state badge's label ("" for none)
    detail_tone: rx.Field[str] = rx.field("gray")
    detail_actions: rx.Field[list[str]] = rx.field(default_factory=list)  # actions that apply, for this role
    detail_editable: rx.Field[bool] = rx.field(True)  # the row is one 编辑 applies to (update_when)
    detail_tabs: rx.Field[list[RelatedTab]] = rx.field(default_factory=list)
    detail_timeline: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    _detail_id: int = 0  # the row the detail shows (the form's row may since be another)

    @event
    def open_detail(self, row_id: str):
        admin = self._admin()
        try:
            with self._session() as (s, p):
                row = crud.get_row(s, admin, p, row_id)
                groups = admin.groups_for(p)
                names = [n for _, ns in groups for n in ns]
                shown = display(s, admin, p, [row], names)[0]
                self.detail_groups = [title for title, _ in groups]
                self.detail_items = [
                    {
                        "label": admin.fields[n].label,
                        "value": (shown[n] or "—") + (f"（{shown[n + HINT]}）" if shown.get(n + HINT) else ""),
                        "group": title,
                        "file": n if admin.fields[n].kind == "file" and shown[n] else "",
                        "reveal": n if shown[n] and privacy.may_reveal(admin.fields[n], p) else "",
                    }
                    for title, ns in groups
                    for n in ns
                ]
                self._load_history(s, admin, p, row)
                self.detail_title = row_title(s, admin, p, row)
                state = admin.state_name()
                seen = state and state in admin.visible(p, [state])
                value = getattr(row, state) if seen else None
                self.detail_state = admin.fields[state].display(value) if value is not None else ""
                self.detail_tone = tone_of(self.detail_state) if self.detail_state else "gray"
                self.detail_actions = [
                    a.name for a in admin.actions if admin.allowed(p, f"action:{a.name}") and a.applies(row)
                ]
                self.detail_editable = not admin.update_problem(row)
                self.detail_tabs = tabs(s, admin, p, row)
                self.form_row_id = self._detail_id = row.id
        except Forbidden as exc:
            return self._refused(exc)
        self.detail_open = True

    def _load_history(self, s: Session, admin: type[ModelAdmin], p: Principal | None, row: Any) -> None:
        entries = audit.history(s, admin.key, row.id)
        names = accounts.staff_names(s, logins=[h.username for h in entries])  # 陈店长, not manager
        self.detail_history = [
            {
                "at": h.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
                "who": names.get(h.username, h.username) if h.username else "系统",
                "summary": h.summary,
                "changes": audit.describe(s, admin, h, p) if h.action in ("update", "delete") else "",
            }
            for h in entries
        ]
        self.detail_timeline = timeline(s, admin, p, row)

    @event
    def ask_detail_action(self, name: str):
        """An action of the detail's header, for the row it shows: the list's confirmation for that row alone
        (the list's ticks stay as they are; run_action checks the role, the scope and ``when`` again)."""
        if not self._detail_id:
            return refusal()
        refused = self._ask_for_row(str(self._detail_id), name)
        if refused is None:
            self.detail_open = False
        return refused

    @event
    def close_detail(self):
        self.detail_open = False

    @event
    def download_attachment(self, name: str):
        """The open row's attachment, once, to a user who may see that row and that field."""
        admin = self._admin()
        spec = admin.fields.get(name)
        if spec is None or spec.kind != "file":
            return refusal()
        try:
            with self._session() as (s, p):
                row = crud.get_row(s, admin, p, self.form_row_id)
                p = require(p, VIEW, admin.key)  # get_row checked it: this tells mypy
                if name not in admin.visible(p, admin.detail):
                    raise Forbidden(f"您无权查看{spec.label}")
                ref = getattr(row, name)
                # Only the row that holds the file by its own upload hands it out, not one that copied its reference.
                found = attachments.read(ref) if stored_files.owns(s, admin.model, row.id, name, ref) else None
                if found is None:
                    return rx.toast.error(f"{spec.label}文件不存在", position="top-center")
                url = downloads.issue(s, p, *found)
                audit.record(s, p, admin.key, row.id, "download", summary=f"下载{spec.label}：{found[1]}")
                s.flush()
                self._load_history(s, admin, p, row)
        except Forbidden as exc:
            return self._refused(exc)
        return rx.download(url=url)

    @event
    def reveal_field(self, name: str):
        """The open row's personal number in full (查看完整信息), written to the audit log: only to a role
        the field lets reveal it, for a row inside the user's scope, checked here again."""
        admin = self._admin()
        spec = admin.fields.get(name)
        if spec is None or not spec.mask:
            return refusal()
        try:
            with self._session() as (s, p):
                row = crud.get_row(s, admin, p, self._detail_id)
                p = require(p, VIEW, admin.key)  # get_row checked it: this tells mypy
                if name not in admin.visible(p, admin.detail) or not privacy.may_reveal(spec, p):
                    raise Forbidden(f"您的角色（{p.role_label}）无权查看完整的{spec.label}")
                audit.record(s, p, admin.key, row.id, "reveal", summary=f"查看完整{spec.label}：{admin.row_label(row)}")
                s.flush()
                value = str(getattr(row, name) or "") or "—"
                self.detail_items = [
                    {**it, "value": value, "reveal": ""} if it.get("reveal") == name else it for it in self.detail_items
                ]
                self._load_history(s, admin, p, row)
        except Forbidden as exc:
            return self._refused(exc)

    @event
    def detail_open_change(self, is_open: bool):
        if not is_open:
            self.detail_open = False
