"""The open form's values and what fills them besides typing: pickers of other rows, chips of a
many-to-many field, image and file uploads. Opening and saving the form: states/form.py."""

from __future__ import annotations

from typing import Any

import reflex as rx
import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.admin import attachments, many, stored_files
from clss_app.admin.fields import FieldSpec, label_attr, split_images
from clss_app.admin.states.selection import SelectionMixin
from clss_app.admin.view import ModelAdmin
from clss_app.compat import MapField, event, map_field
from clss_app.core import media
from clss_app.core.errors import FieldError
from clss_app.event_guard import refusal
from clss_app.services.permissions import CREATE, UPDATE, VIEW, Forbidden, Principal, require

FK_OPTIONS_LIMIT = 50
# Kinds a form sets by typing or choosing (set_form_value, save); pickers and uploads have their own handlers.
INPUT_KINDS = ("str", "text", "int", "decimal", "money", "date", "datetime", "bool", "enum")


class FieldsMixin(SelectionMixin, mixin=True):
    form_open: rx.Field[bool] = rx.field(False)
    form_nonce: rx.Field[int] = rx.field(0)
    form_mode: rx.Field[str] = rx.field("create")
    form_values: MapField[dict[str, str]] = map_field(dict)
    form_errors: MapField[dict[str, str]] = map_field(dict)
    form_error: rx.Field[str] = rx.field("")
    form_row_id: rx.Field[int] = rx.field(0)
    form_version: rx.Field[int] = rx.field(0)
    readonly_fields: rx.Field[list[str]] = rx.field(default_factory=list)
    fk_query: MapField[dict[str, str]] = map_field(dict)
    fk_options: MapField[dict[str, list[dict[str, str]]]] = map_field(dict)
    fk_labels_shown: MapField[dict[str, str]] = map_field(dict)
    many_shown: MapField[dict[str, list[dict[str, str]]]] = map_field(dict)
    _uploaded: dict[str, list[str]] = {}  # "admin.field" -> what the open form uploaded (save accepts only these)

    def _load_fk_options(self, session: Session, admin: type[ModelAdmin], p: Principal, name: str, text: str) -> None:
        spec = admin.fields[name]
        target = spec.fk_model
        assert target is not None, f"{admin.key}.{name} links to no table"
        attr = getattr(target, label_attr(target))
        stmt = select(sa.inspect(target).primary_key[0], attr)
        target_admin = admin.site.scoped_admin_for(target)
        if target_admin is not None and target_admin.scope:
            stmt = stmt.where(target_admin.scope.clause(p, target))
        within = spec.extra.get("within")
        if within and self.form_open:  # only the chosen parent's children (a project's buildings)
            parent = self.form_values.get(within, "")
            stmt = stmt.where(getattr(target, within) == int(parent)) if parent.isdigit() else stmt.where(sa.false())
        text = text.replace("\x00", "")  # PostgreSQL refuses a NUL in a text parameter
        if text:
            stmt = stmt.where(attr.like(f"%{text[:32]}%"))
        rows = session.exec(stmt.order_by(attr).limit(FK_OPTIONS_LIMIT)).all()
        hints = admin.site.option_hints(session, target, [i for i, _ in rows])
        self.fk_options[name] = [
            {"id": str(i), "label": f"{lbl}（{hints[i]}）" if hints.get(i) else str(lbl)} for i, lbl in rows
        ]

    def _form_field(self, name: str, kinds: tuple[str, ...]) -> FieldSpec | None:
        """The spec of ``name`` if it is a field of the open form this user may change, of one of ``kinds``."""
        spec = self._admin().fields.get(name)
        if (
            spec is None
            or spec.kind not in kinds
            or not self.form_open
            or name not in self.form_values
            or name in self.readonly_fields
        ):
            return None
        return spec

    @event
    def fk_search(self, name: str, text: str):
        """Options of a picker of the open form, or of a list filter."""
        admin = self._admin()
        try:
            with self._session() as (s, p):
                p = require(p, VIEW, admin.key)
                spec = admin.fields.get(name)
                if (
                    spec is None
                    or spec.kind not in ("fk", "many")
                    or (name not in admin.filters_for(p) and self._form_field(name, ("fk", "many")) is None)
                ):
                    return refusal()
                self.fk_query[name] = text[:64]
                self._load_fk_options(s, admin, p, name, text[:64])
        except Forbidden as exc:
            return self._refused(exc)

    @event
    def pick_fk(self, name: str, value: str, label: str):
        admin = self._admin()
        if self._form_field(name, ("fk",)) is None or not (value == "" or value.isdigit()):
            return refusal()
        label = label[:200]  # shown back to this user only; save resolves the id itself
        changed = self.form_values.get(name) != value
        self.form_values[name] = value
        self.fk_labels_shown[name] = label
        children = [n for n, spec in admin.fields.items() if spec.extra.get("within") == name and n in self.form_values]
        if changed and children:  # a new project: its buildings, not the old one's
            for child in children:
                self.form_values[child], self.fk_labels_shown[child] = "", ""
            try:
                with self._session() as (s, p):
                    p = require(p, VIEW, admin.key)
                    for child in children:
                        self._load_fk_options(s, admin, p, child, "")
            except Forbidden as exc:
                return self._refused(exc)
        self.form_errors.pop(name, None)
        if not self.form_errors:
            self.form_error = ""

    @event
    def remove_image(self, name: str, item: str):
        if self._form_field(name, ("images",)) is None:
            return refusal()
        self.form_values[name] = ",".join(n for n in split_images(self.form_values.get(name, "")) if n != item)

    @event
    def add_many(self, name: str, value: str, label: str):
        chosen = self.many_shown.get(name, [])
        if self._form_field(name, ("many",)) is None or not value.isdigit() or len(chosen) >= many.MAX_CHOSEN:
            return refusal()
        if not any(c["id"] == value for c in chosen):
            self._set_many(name, chosen + [{"id": value, "label": label[:200]}])

    @event
    def remove_many(self, name: str, value: str):
        if self._form_field(name, ("many",)) is None:
            return refusal()
        self._set_many(name, [c for c in self.many_shown.get(name, []) if c["id"] != value])

    def _set_many(self, name: str, chosen: list[dict[str, str]]) -> None:
        # Only ids travel to save(); validation there checks each exists and is in scope.
        self.many_shown[name] = chosen
        self.form_values[name] = ",".join(c["id"] for c in chosen)
        self.form_errors.pop(name, None)
        if not self.form_errors:
            self.form_error = ""

    @event
    async def upload_field(self, files: list[rx.UploadFile], name: str):
        """An image or attachment for the open form: role checked, content checked, stored by hash."""
        admin = self._admin()
        spec = admin.fields.get(name)
        if spec is None or spec.kind not in ("image", "images", "file") or not files:
            return
        try:
            with self._session() as (_s, p):
                p = require(p, CREATE if self.form_mode == "create" else UPDATE, admin.key)
                if name not in admin.editable(p, admin.form):
                    raise Forbidden(f"您不能修改{spec.label}")
            if spec.kind in ("image", "images"):
                max_mb = spec.extra.get("max_mb", media.DEFAULT_MAX_MB)
                names: list[Any] = split_images(self.form_values.get(name, "")) if spec.kind == "images" else []
                most = spec.extra.get("max_count", 9) if spec.kind == "images" else 1
                if len(names) + len(files) > most:
                    raise FieldError(f"{spec.label}最多 {most} 张，还可上传 {max(0, most - len(names))} 张")
                for f in files:  # every file checked before any is kept
                    data = await f.read(max_mb * 1024 * 1024 + 1)
                    names.append((data, media.check_image(data, spec.label, max_mb, spec.extra.get("ratio"))))
                value = ",".join(n if isinstance(n, str) else media.store(*n) for n in names)
            else:
                max_mb = spec.extra.get("max_mb", attachments.DEFAULT_MAX_MB)
                data = await files[0].read(max_mb * 1024 * 1024 + 1)
                filename = files[0].filename or "file"
                kind = attachments.check(
                    data, filename, spec.label, spec.extra.get("types", attachments.DEFAULT_TYPES), max_mb
                )
                value = attachments.store(data, filename, kind)
        except FieldError as exc:
            self.form_errors[name] = str(exc)
            return
        except Forbidden as exc:
            return self._refused(exc)
        key = f"{admin.key}.{name}"
        self._uploaded = {**self._uploaded, key: [*self._uploaded.get(key, []), *stored_files.refs(spec, value)]}
        self.form_values[name] = value
        self.form_errors.pop(name, None)
        if not self.form_errors:
            self.form_error = ""

    @event
    def set_form_value(self, name: str, value: str | bool):
        # Uploads have their own handlers: a stored file is never named by the client.
        if self._form_field(name, INPUT_KINDS) is None:
            return refusal()
        if isinstance(value, bool):
            value = "true" if value else "false"
        self.form_values[name] = value
        self.form_errors.pop(name, None)
        if not self.form_errors:
            self.form_error = ""
