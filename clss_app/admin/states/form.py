"""The create / edit form: open it (empty, prefilled from the list's filters, or with a row), save it."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from clss_app.admin import crud, many, privacy
from clss_app.admin.query import fk_labels, labels_for
from clss_app.admin.site import served
from clss_app.admin.states.detail import DetailMixin
from clss_app.admin.states.fields import INPUT_KINDS
from clss_app.admin.view import ModelAdmin
from clss_app.compat import event
from clss_app.core.errors import FieldError
from clss_app.event_guard import refusal
from clss_app.services.permissions import CREATE, UPDATE, Forbidden, Principal, require


def _default(admin: type[ModelAdmin], name: str) -> Any:
    """What a new row starts with: the model's own plain default (启用 is on, a state its first)."""
    info = admin.model.model_fields.get(name)
    if info is None or info.default_factory is not None or info.is_required():
        return None
    return info.default


class FormMixin(DetailMixin, mixin=True):
    _create_after_load: str = ""  # an admin key whose 新增 was clicked before its list loaded

    def _open_form(self, s: Session, admin: type[ModelAdmin], p: Principal, row: Any = None) -> None:
        names = admin.visible(p, admin.form)
        # A personal number the role reads masked shows masked and stays as it is (crud.validate ignores it).
        hidden = {n for n in names if row is not None and privacy.masked(admin.fields[n], p)}
        self.readonly_fields = [n for n in names if n not in admin.editable(p, names) or n in hidden]
        links = many.load(s, admin, [row.id] if row is not None else [], names)
        stored = (
            {n: (links[n].get(row.id, []) if n in links else getattr(row, n)) for n in names} if row is not None else {}
        )
        self.form_values = {
            n: admin.fields[n].form_value(stored[n] if row is not None else _default(admin, n)) for n in names
        }
        self.form_values.update({n: privacy.shown(admin.fields[n], p, self.form_values[n]) for n in hidden})
        self.form_errors, self.form_error, self._uploaded = {}, "", {}
        labels = fk_labels(s, admin, [row], names) if row is not None else {}
        self.fk_labels_shown = {
            n: labels.get(n, {}).get(stored[n], "") if row is not None else ""
            for n in names
            if admin.fields[n].kind == "fk"
        }
        self.many_shown = {n: [{"id": str(i), "label": lbl} for i, lbl in stored.get(n, [])] for n in links}
        self.fk_query = {}
        for n in names:
            if admin.fields[n].kind in ("fk", "many"):
                self._load_fk_options(s, admin, p, n, "")
        self.form_nonce += 1
        self.form_open = True

    @event
    def open_create(self, key: str = ""):
        if key and key != self.admin_key:
            # 新增 clicked before this page's own load ran (events queue in order): open it right
            # after that load, on this page's admin, instead of on the previous page's.
            if key not in served():
                return refusal()
            self._create_after_load = key
            return
        admin = self._admin()
        try:
            with self._session() as (s, p):
                p = require(p, CREATE, admin.key)
                self.form_mode, self.form_row_id, self.form_version = "create", 0, 0
                self._open_form(s, admin, p)
                self._prefill_from_filters(s, admin, p)
        except Forbidden as exc:
            return self._refused(exc)

    def _prefill_from_filters(self, s: Session, admin: type[ModelAdmin], p: Principal) -> None:
        """Adding from a filtered list (a fee item's pricing standards) starts with that filter's value."""
        for name, value in self.filters.items():
            spec = admin.fields.get(name)
            if (
                spec is None
                or name not in self.form_values
                or name in self.readonly_fields
                or spec.kind not in ("fk", "enum")
            ):
                continue
            if spec.kind == "fk":
                try:  # a hand-edited URL must not reveal the name of a row outside the scope
                    found = crud.resolve_fk(s, spec, value, p)
                except FieldError:
                    continue
                self.fk_labels_shown[name] = str(labels_for(s, spec, [found]).get(found, ""))
            self.form_values[name] = value
        self.form_nonce += 1

    @event
    def open_edit(self, row_id: str):
        admin = self._admin()
        try:
            with self._session() as (s, p):
                row = crud.get_row(s, admin, p, row_id, UPDATE)
                p = require(p, UPDATE, admin.key)  # get_row checked it: this tells mypy
                self.form_mode, self.form_row_id = "edit", row.id
                self.form_version = getattr(row, "version", 0) or 0
                self._open_form(s, admin, p, row)
        except Forbidden as exc:
            return self._refused(exc)
        self.detail_open = False

    @event
    def close_form(self):
        self.form_open = False

    @event
    def form_open_change(self, is_open: bool):
        if not is_open:
            self.form_open = False

    @event
    def save(self, form: dict):
        admin = self._admin()
        typed = {k: v for k, v in form.items() if k in admin.fields and admin.fields[k].kind in INPUT_KINDS}
        if not self.form_open or not all(isinstance(v, (str, bool, int, float)) for v in typed.values()):
            return refusal()
        raw = {**self.form_values, **typed}
        uploaded = {
            n.partition(".")[2]: set(refs) for n, refs in self._uploaded.items() if n.partition(".")[0] == admin.key
        }
        try:
            with self._session() as (s, p):
                if self.form_mode == "create":
                    row, note = crud.create(s, admin, p, raw, uploaded)
                    verb = f"已{admin.create_label}" if admin.create_label else "已新增"
                else:
                    row, note = crud.update(s, admin, p, self.form_row_id, raw, self.form_version, uploaded)
                    verb = "已保存"
                label = admin.row_label(row)
        except crud.ValidationFailed as exc:
            self.form_values = {k: str(v) for k, v in raw.items() if k in self.form_values}
            self.form_errors = exc.errors
            self.form_nonce += 1
            self.form_error = "请修改标红的字段后再保存"
            return
        except crud.Conflict as exc:
            self.form_error = str(exc)
            return
        except Forbidden as exc:
            self.form_error = str(exc)
            return self._refused(exc)
        self.form_open = False
        return [
            *self._fetch(fresh=True),
            rx.toast.success(
                f"{verb}：{label}" + (f"。{note}" if note else ""),
                position="top-center",
                duration=15000 if note else 4000,
            ),
        ]
