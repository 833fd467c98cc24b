"""One row's detail dialog: its fields, its audit history, links to related lists, its attachment."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from clss_app.admin import attachments, audit, crud, downloads, privacy, stored_files
from clss_app.admin.fields import HINT, SHANGHAI
from clss_app.admin.query import display
from clss_app.admin.states.fields import FieldsMixin
from clss_app.admin.view import ModelAdmin
from clss_app.compat import event
from clss_app.event_guard import refusal
from clss_app.services.permissions import VIEW, Forbidden, Principal, can, require


class DetailMixin(FieldsMixin, mixin=True):
    detail_open: rx.Field[bool] = rx.field(False)
    detail_title: rx.Field[str] = rx.field("")
    detail_items: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    detail_history: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    detail_links: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    _detail_id: int = 0  # the row the detail shows (the form's row may since be another)

    @event
    def open_detail(self, row_id: str):
        admin = self._admin()
        try:
            with self._session() as (s, p):
                row = crud.get_row(s, admin, p, row_id)
                names = admin.visible(p, admin.detail)
                shown = display(s, admin, p, [row], names)[0]
                self.detail_items = [
                    {
                        "label": admin.fields[n].label,
                        "value": (shown[n] or "—") + (f"（{shown[n + HINT]}）" if shown.get(n + HINT) else ""),
                        "file": n if admin.fields[n].kind == "file" and shown[n] else "",
                        "reveal": n if shown[n] and privacy.may_reveal(admin.fields[n], p) else "",
                    }
                    for n in names
                ]
                self._load_history(s, admin, p, row)
                self.detail_title = admin.row_label(row)
                self.detail_links = [
                    {"label": label, "href": f"{admin.site.menu[key].route}?f_{col}={row.id}"}
                    for label, key, col in admin.links
                    if can(p, VIEW, key)
                ]
                self.form_row_id = self._detail_id = row.id
        except Forbidden as exc:
            return self._refused(exc)
        self.detail_open = True

    def _load_history(self, s: Session, admin: type[ModelAdmin], p: Principal | None, row: Any) -> None:
        self.detail_history = [
            {
                "at": h.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
                "who": h.username or "系统",
                "summary": h.summary,
                "changes": audit.describe(s, admin, h, p) if h.action in ("update", "delete") else "",
            }
            for h in audit.history(s, admin.key, row.id)
        ]

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
