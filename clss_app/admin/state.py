"""The one Reflex state behind every generated list, detail and form page.

Only the page on screen lives here (rows as display strings); the query
lives in the URL, so links are shareable and the back button works: every
change of search, filter, sort or page is a navigation, and the page guard
then calls ``load`` which reads the URL.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import reflex as rx
import sqlalchemy as sa
from sqlmodel import select

from clss_app import db
from clss_app.admin import audit, crud, many, stored_files
from clss_app.admin.fields import SHANGHAI, label_attr, split_images
from clss_app.admin.query import MAX_PAGE, ListQuery, count, display, fetch_page, fk_labels, labels_for
from clss_app.admin.site import served
from clss_app.admin.view import ModelAdmin
from clss_app.event_guard import refusal
from clss_app.services.permissions import (
    CREATE,
    DELETE,
    EXPORT,
    IMPORT,
    UPDATE,
    VIEW,
    Forbidden,
    Principal,
    can,
    require,
    scope_clause,
)
from clss_app.state import AuthState

FK_OPTIONS_LIMIT = 50
# Kinds a form sets by typing or choosing (set_form_value, save); pickers and uploads have their own handlers.
INPUT_KINDS = ("str", "text", "int", "decimal", "money", "date", "datetime", "bool", "enum")
# Clears the pending mark the page script sets when a list control is used (assets/clss.js).
LIST_SETTLED = rx.call_script("delete document.getElementById('admin-list')?.dataset.loading")


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


def _action_input(spec) -> ActionInput:
    kinds = {"int": "number", "date": "date", "datetime": "datetime-local"}
    choices = spec.choices()
    return ActionInput(
        spec.name,
        spec.label,
        "select" if choices else kinds.get(spec.kind, "text"),
        spec.required,
        spec.help,
        [InputOption(v, label) for v, label in choices],
    )


def _default(admin, name: str):
    """What a new row starts with: the model's own plain default (启用 is on, a state its first)."""
    info = admin.model.model_fields.get(name)
    if info is None or info.default_factory is not None or info.is_required():
        return None
    return info.default


class AdminState(AuthState):
    admin_key: str = ""
    _create_after_load: str = ""  # an admin key whose 新增 was clicked before its list loaded
    rows: list[dict[str, str]] = []
    rows_key: str = ""  # the admin whose rows these are
    _counted: str = ""  # the admin and conditions the shown total was counted for
    _options_for: str = ""  # the admin whose filter options are loaded
    total: int = 0
    total_text: str = ""
    q: str = ""
    filters: dict[str, str] = {}
    sort: str = ""
    page: int = 1
    page_size: int = 20
    pages: int = 1
    pages_text: str = "1"
    loading: bool = False

    selected: list[str] = []
    all_matching: bool = False

    perms: dict[str, bool] = {}
    hidden_columns: list[str] = []  # every field hidden from the viewer's role
    search_labels: str = ""  # what the search box searches, for this role
    action_perms: dict[str, bool] = {}

    form_open: bool = False
    form_nonce: int = 0
    form_mode: str = "create"
    form_values: dict[str, str] = {}
    form_errors: dict[str, str] = {}
    form_error: str = ""
    form_row_id: int = 0
    form_version: int = 0
    readonly_fields: list[str] = []
    fk_query: dict[str, str] = {}
    fk_options: dict[str, list[dict[str, str]]] = {}
    fk_labels_shown: dict[str, str] = {}
    many_shown: dict[str, list[dict[str, str]]] = {}
    _uploaded: dict[str, list[str]] = {}  # "admin.field" -> what the open form uploaded (save accepts only these)

    detail_open: bool = False
    detail_title: str = ""
    detail_items: list[dict[str, str]] = []
    detail_history: list[dict[str, str]] = []
    detail_links: list[dict[str, str]] = []

    confirm_open: bool = False
    confirm_action: str = ""
    confirm_text: str = ""
    confirm_input_label: str = ""
    confirm_inputs: list[ActionInput] = []
    confirm_errors: dict[str, str] = {}
    confirm_error: str = ""

    # ------------------------------------------------------------ helpers
    def _admin(self) -> type[ModelAdmin]:
        if self.admin_key not in served():  # an event before any list was loaded (a forged one)
            raise Forbidden("请先打开列表页面")
        return served().admin(self.admin_key)

    def _put(self, **values) -> None:
        """Assign only what changed: every assigned var travels in the delta and re-renders
        whatever reads it (perms and hidden_columns are read by every row)."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _query(self) -> ListQuery:
        return ListQuery(q=self.q, filters=dict(self.filters), sort=self.sort, page=self.page, page_size=self.page_size)

    def _navigate(self, q: ListQuery):
        """Show ``q`` now and record it in the URL (history.pushState, not a navigation).

        One round trip instead of three: a navigation would re-hydrate the
        whole state and run the page guard again. Back/forward: the page
        listens to popstate and sends the URL's query to ``apply_search``.
        """
        return self._fetch(wanted=q)

    def _display_rows(self, session, admin, p: Principal, rows) -> list[dict[str, str]]:
        out = display(session, admin, rows, admin.visible(p, admin.list_columns))
        for d, r in zip(out, rows):
            d["id"] = str(r.id)
        return out

    # ------------------------------------------------------------ list
    @rx.event
    def load(self, key: str):
        """Read the query from the URL and show that page of rows."""
        if key not in served():
            return refusal()
        if key != self.admin_key:
            self.selected, self.all_matching = [], False
            self.form_open = self.detail_open = self.confirm_open = False
        self.admin_key = key
        params = {k: str(v) for k, v in self.router.url.query_parameters.items()}
        events = self._show_params(params, fresh=True)
        pending, self._create_after_load = self._create_after_load == key, ""
        if (pending or params.get("new") == "1") and self.perms.get(CREATE):
            # A link that means "add one here" (房态图 → 预定 this room): the form opens prefilled
            # from the URL's filters. Still checked again by open_create and save.
            refused = self.open_create()
            if refused is not None:
                return refused
        return events

    @rx.event
    def apply_search(self, search: str):
        """Back/forward within the list: the browser's query string is the truth."""
        if not self.admin_key or not isinstance(search, str):
            return
        return self._show_params({k: v[-1] for k, v in parse_qs(search.lstrip("?")).items()})

    def _show_params(self, params: dict[str, str], fresh: bool = False):
        return self._fetch(fresh, params=params)

    def _fetch(self, fresh: bool = False, wanted: ListQuery | None = None, params: dict[str, str] | None = None):
        """Query the current page; the count follows in its own event.

        Rows first, count second: on a huge table the 50 rows are on screen
        before the (capped) count has finished. ``fresh``: rows may have been
        added or removed (page entry, save, action, import), so count again.
        A new query comes from a handler (``wanted``: refused whole if the
        admin does not offer any part of it to this role) or from the URL
        (``params``: what it may not ask falls back to the defaults).
        """
        admin = self._admin()
        if fresh:
            self._counted = self._options_for = ""
        events = [LIST_SETTLED]
        try:
            with self._session() as (s, p):
                require(p, VIEW, admin.key)
                if params is not None:
                    wanted = ListQuery.from_params(params, admin, p)
                elif wanted is not None:
                    problems = wanted.problems(admin, p)
                    if problems:
                        return [LIST_SETTLED, refusal(next(iter(problems.values())))]
                    shown = wanted.to_params(admin)
                    url = admin.site.menu[admin.key].route + (f"?{shown}" if shown else "")
                    events.insert(0, rx.call_script(f"window.history.pushState(null, '', {json.dumps(url)})"))
                if wanted is not None:
                    self._put(
                        q=wanted.q,
                        filters=wanted.filters,
                        sort=wanted.sort,
                        page=wanted.page,
                        page_size=wanted.page_size,
                    )
                q = self._query()
                rows = fetch_page(s, admin, p, q)
                self.rows = self._display_rows(s, admin, p, rows)
                self._put(
                    rows_key=admin.key,
                    hidden_columns=[n for n in admin.fields if n not in admin.visible(p, admin.fields)],
                    search_labels="/".join(admin.fields[n].label for n in admin.search_for(p)),
                    perms={a: can(p, a, admin.key) for a in (CREATE, UPDATE, DELETE, EXPORT, IMPORT)},
                    action_perms={a.name: can(p, f"action:{a.name}", admin.key) for a in admin.actions},
                )
                if self._options_for != admin.key:  # the filters' unfiltered options, once per list
                    for name in admin.filters_for(p):
                        if admin.fields[name].kind == "fk":
                            self._load_fk_options(s, admin, p, name, "")
                    self._options_for = admin.key
        except Forbidden as exc:
            self.rows, self.rows_key, self.total, self.total_text = [], admin.key, 0, "0"
            self._counted, self._options_for = "", ""
            return [LIST_SETTLED, self._refused(exc)]
        counted = f"{admin.key}|{q.q}|{sorted(q.filters.items())}|{q.page_size}"
        if counted == self._counted:  # same rows matched (a sort or another page): same count
            return events
        self._counted = counted
        self.total_text = "…"
        return [*events, AdminState.load_count]

    @rx.event
    def load_count(self):
        admin, q = self._admin(), self._query()
        try:
            with self._session() as (s, p):
                require(p, VIEW, admin.key)
                n, exact = count(s, admin, p, q)
        except Forbidden as exc:
            return self._refused(exc)
        pages = max(1, -(-n // q.page_size))
        # Past a capped count the last page is unknown: allow any page, say "200+".
        self._put(
            total=n,
            total_text=f"{n:,}" if exact else f"{n:,}+",
            pages=pages if exact else MAX_PAGE,
            pages_text=f"{pages:,}" if exact else f"{pages:,}+",
        )

    @rx.event
    def search(self, form: dict):
        q = self._query()
        q.q, q.page = form.get("q", ""), 1
        if not isinstance(q.q, str):
            return refusal()
        return self._navigate(q)

    @rx.event
    def set_filter(self, name: str, value: str):
        q = self._query()
        if value:
            q.filters[name] = value
        else:
            q.filters.pop(name, None)
        q.page = 1
        return self._navigate(q)

    @rx.event
    def clear_filters(self):
        q = self._query()
        q.filters, q.q, q.page = {}, "", 1
        return self._navigate(q)

    @rx.event
    def sort_by(self, name: str):
        q = self._query()
        q.sort = f"-{name}" if q.sort == name else name
        q.page = 1
        return self._navigate(q)

    @rx.event
    def go_page(self, page: int | str):
        q = self._query()
        try:
            q.page = min(max(1, int(page)), self.pages)
        except (TypeError, ValueError):
            return refusal("请输入页码")
        return self._navigate(q)

    @rx.event
    def jump(self, form: dict):
        return self.go_page(form.get("page", "1"))

    @rx.event
    def set_page_size(self, size: str):
        q = self._query()
        q.page = 1
        try:
            q.page_size = int(size)
        except ValueError:
            return refusal()
        return self._navigate(q)

    # ------------------------------------------------------------ selection
    @rx.event
    def toggle_row(self, row_id: str):
        if not any(r["id"] == row_id for r in self.rows):  # only a row of the page on screen
            return refusal()
        self.all_matching = False
        self.selected = (
            [i for i in self.selected if i != row_id] if row_id in self.selected else self.selected + [row_id]
        )

    @rx.event
    def toggle_page(self):
        ids = [r["id"] for r in self.rows]
        self.all_matching = False
        self.selected = [] if all(i in self.selected for i in ids) else ids

    @rx.event
    def select_all_matching(self):
        self.selected = [r["id"] for r in self.rows]
        self.all_matching = True

    @rx.event
    def clear_selection(self):
        self.selected, self.all_matching = [], False

    # ------------------------------------------------------------ actions
    @rx.event
    def ask_action(self, name: str):
        admin = self._admin()
        action = next((a for a in admin.actions if a.name == name), None)
        if action is None and name != "__delete__":
            return refusal()
        n = str(len(self.selected))
        if self.all_matching:  # counted now: what the action will act on, not what a list once showed
            try:
                with self._session() as (s, p):
                    require(p, VIEW, admin.key)
                    total, exact = count(s, admin, p, self._query())
            except Forbidden as exc:
                return self._refused(exc)
            n = f"{total:,}" if exact else f"{total:,}+"
        if action is None:
            self.confirm_text = f"确定删除选中的 {n} 条记录吗？删除后不可恢复。"
        else:
            self.confirm_text = (action.confirm or f"确定对选中的 {{n}} 条记录执行“{action.label}”吗？").format(n=n)
        self.confirm_input_label = "" if name == "__delete__" else action.input_label
        self.confirm_inputs = [] if name == "__delete__" else [_action_input(f) for f in action.inputs]
        self.confirm_error, self.confirm_errors = "", {}
        self.confirm_action = name
        self.confirm_open = True

    @rx.event
    def cancel_action(self):
        self.confirm_open = False

    @rx.event
    def run_action(self, form: dict | None = None):
        """Runs the confirmed action; every check happens again on the server."""
        admin = self._admin()
        name = self.confirm_action
        text = str((form or {}).get("input", ""))
        ids = None if self.all_matching else [int(i) for i in self.selected if str(i).isdigit()]
        try:
            with self._session() as (s, p):
                require(p, VIEW, admin.key)
                if ids == []:  # nothing (left) selected: say so, never "成功 0 条"
                    self.confirm_open = False
                    return rx.toast.warning("请先勾选要操作的记录", position="top-center")
                if name == "__delete__":
                    if ids is None:
                        from clss_app.admin.query import matching_ids

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

    # ------------------------------------------------------------ form
    def _load_fk_options(self, session, admin, p, name: str, text: str) -> None:
        spec = admin.fields[name]
        target = spec.fk_model
        attr = getattr(target, label_attr(target))
        stmt = select(target.id, attr)
        target_admin = admin.site.scoped_admin_for(target)
        if target_admin is not None:
            col, by = target_admin.scope
            stmt = stmt.where(scope_clause(p, getattr(target, col), by=by))
        within = spec.extra.get("within")
        if within and self.form_open:  # only the chosen parent's children (a project's buildings)
            parent = self.form_values.get(within, "")
            stmt = stmt.where(getattr(target, within) == int(parent)) if parent.isdigit() else stmt.where(sa.false())
        if text:
            stmt = stmt.where(attr.like(f"%{text[:32]}%"))
        rows = session.exec(stmt.order_by(attr).limit(FK_OPTIONS_LIMIT)).all()
        hints = admin.site.option_hints(session, target, [i for i, _ in rows])
        self.fk_options[name] = [
            {"id": str(i), "label": f"{lbl}（{hints[i]}）" if hints.get(i) else str(lbl)} for i, lbl in rows
        ]

    def _form_field(self, name: str, kinds: tuple[str, ...]):
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

    @rx.event
    def fk_search(self, name: str, text: str):
        """Options of a picker of the open form, or of a list filter."""
        admin = self._admin()
        try:
            with self._session() as (s, p):
                require(p, VIEW, admin.key)
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

    @rx.event
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
                    require(p, VIEW, admin.key)
                    for child in children:
                        self._load_fk_options(s, admin, p, child, "")
            except Forbidden as exc:
                return self._refused(exc)
        self.form_errors.pop(name, None)
        if not self.form_errors:
            self.form_error = ""

    @rx.event
    def remove_image(self, name: str, item: str):
        if self._form_field(name, ("images",)) is None:
            return refusal()
        self.form_values[name] = ",".join(n for n in split_images(self.form_values.get(name, "")) if n != item)

    @rx.event
    def add_many(self, name: str, value: str, label: str):
        chosen = self.many_shown.get(name, [])
        if self._form_field(name, ("many",)) is None or not value.isdigit() or len(chosen) >= many.MAX_CHOSEN:
            return refusal()
        if not any(c["id"] == value for c in chosen):
            self._set_many(name, chosen + [{"id": value, "label": label[:200]}])

    @rx.event
    def remove_many(self, name: str, value: str):
        if self._form_field(name, ("many",)) is None:
            return refusal()
        self._set_many(name, [c for c in self.many_shown.get(name, []) if c["id"] != value])

    def _set_many(self, name: str, chosen: list[dict[str, str]]):
        # Only ids travel to save(); validation there checks each exists and is in scope.
        self.many_shown[name] = chosen
        self.form_values[name] = ",".join(c["id"] for c in chosen)
        self.form_errors.pop(name, None)
        if not self.form_errors:
            self.form_error = ""

    @rx.event
    async def upload_field(self, files: list[rx.UploadFile], name: str):
        """An image or attachment for the open form: role checked, content checked, stored by hash."""
        from clss_app.admin import attachments, media
        from clss_app.admin.fields import FieldError

        admin = self._admin()
        spec = admin.fields.get(name)
        if spec is None or spec.kind not in ("image", "images", "file") or not files:
            return
        try:
            with self._session() as (_s, p):
                require(p, CREATE if self.form_mode == "create" else UPDATE, admin.key)
                if name not in admin.editable(p, admin.form):
                    raise Forbidden(f"您不能修改{spec.label}")
            if spec.kind in ("image", "images"):
                max_mb = spec.extra.get("max_mb", media.DEFAULT_MAX_MB)
                names = split_images(self.form_values.get(name, "")) if spec.kind == "images" else []
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

    @rx.event
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

    def _open_form(self, s, admin, p, row=None):
        names = admin.visible(p, admin.form)
        self.readonly_fields = [n for n in names if n not in admin.editable(p, names)]
        links = many.load(s, admin, [row.id] if row is not None else [], names)
        stored = (
            {n: (links[n].get(row.id, []) if n in links else getattr(row, n)) for n in names} if row is not None else {}
        )
        self.form_values = {
            n: admin.fields[n].form_value(stored[n] if row is not None else _default(admin, n)) for n in names
        }
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

    @rx.event
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
                require(p, CREATE, admin.key)
                self.form_mode, self.form_row_id, self.form_version = "create", 0, 0
                self._open_form(s, admin, p)
                self._prefill_from_filters(s, admin, p)
        except Forbidden as exc:
            return self._refused(exc)

    def _prefill_from_filters(self, s, admin, p) -> None:
        """Adding from a filtered list (a fee item's pricing standards) starts with that filter's value."""
        from clss_app.admin.fields import FieldError

        for name, value in self.filters.items():
            spec = admin.fields.get(name)
            if name not in self.form_values or name in self.readonly_fields or spec.kind not in ("fk", "enum"):
                continue
            if spec.kind == "fk":
                try:  # a hand-edited URL must not reveal the name of a row outside the scope
                    found = crud.resolve_fk(s, spec, value, p)
                except FieldError:
                    continue
                self.fk_labels_shown[name] = str(labels_for(s, spec, [found]).get(found, ""))
            self.form_values[name] = value
        self.form_nonce += 1

    @rx.event
    def open_edit(self, row_id: str):
        admin = self._admin()
        try:
            with self._session() as (s, p):
                row = crud.get_row(s, admin, p, row_id, UPDATE)
                self.form_mode, self.form_row_id = "edit", row.id
                self.form_version = getattr(row, "version", 0) or 0
                self._open_form(s, admin, p, row)
        except Forbidden as exc:
            return self._refused(exc)
        self.detail_open = False

    @rx.event
    def close_form(self):
        self.form_open = False

    @rx.event
    def form_open_change(self, is_open: bool):
        if not is_open:
            self.form_open = False

    @rx.event
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
                    verb = "已新增"
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

    # ------------------------------------------------------------ detail
    @rx.event
    def open_detail(self, row_id: str):
        admin = self._admin()
        try:
            with self._session() as (s, p):
                row = crud.get_row(s, admin, p, row_id)
                names = admin.visible(p, admin.detail)
                shown = display(s, admin, [row], names)[0]
                self.detail_items = [
                    {
                        "label": admin.fields[n].label,
                        "value": shown[n] or "—",
                        "file": n if admin.fields[n].kind == "file" and shown[n] else "",
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
                self.form_row_id = row.id
        except Forbidden as exc:
            return self._refused(exc)
        self.detail_open = True

    def _load_history(self, s, admin, p, row) -> None:
        self.detail_history = [
            {
                "at": h.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
                "who": h.username or "系统",
                "summary": h.summary,
                "changes": audit.describe(s, admin, h, p) if h.action in ("update", "delete") else "",
            }
            for h in audit.history(s, admin.key, row.id)
        ]

    @rx.event
    def download_attachment(self, name: str):
        """The open row's attachment, once, to a user who may see that row and that field."""
        from clss_app.admin import attachments, downloads

        admin = self._admin()
        spec = admin.fields.get(name)
        if spec is None or spec.kind != "file":
            return refusal()
        try:
            with self._session() as (s, p):
                row = crud.get_row(s, admin, p, self.form_row_id)
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

    @rx.event
    def detail_open_change(self, is_open: bool):
        if not is_open:
            self.detail_open = False


class AdminIOState(AdminState):
    """Export and import of the current admin, as background jobs with progress."""

    io_busy: bool = False
    io_progress: int = 0
    io_message: str = ""
    import_open: bool = False
    import_filename: str = ""
    import_total: int = 0
    import_errors: list[dict[str, str]] = []
    import_sample: list[dict[str, str]] = []
    import_columns: list[str] = []
    import_ready: bool = False
    _import_preview: object = None
    _upload_data: bytes = b""

    @rx.event(background=True)
    async def export(self, fmt: str):
        from clss_app.admin import downloads, io

        if fmt not in ("csv", "xlsx"):
            yield refusal()
            return
        async with self:
            if self.io_busy:
                return
            admin, q, token = self._admin(), self._query(), self.token
            self.io_busy, self.io_progress, self.io_message = True, 0, "正在导出…"
        progress = {"done": 0, "total": 1}

        def work():
            from clss_app.services import auth as _auth

            with db.session_scope() as s:
                p = _auth.principal_for_token(s, token)
                frame = io.export_frame(s, admin, p, q, lambda d, t: progress.update(done=d, total=t))
                data = io.write_frame(frame, fmt)
                label = admin.site.menu[admin.key].label
                url = downloads.issue(s, p, data, f"{label}-{utcnow_str()}.{fmt}")
                audit.record(s, p, admin.key, None, "export", summary=f"导出 {frame.height} 条（{fmt}）")
                return url, frame.height

        task = await self._track(work, progress)
        async with self:
            self.io_busy, self.io_message = False, ""
            outcome = self._job_outcome(task, "导出")
        if outcome is not None:
            yield outcome
            return
        url, n = task.result()
        yield rx.download(url=url)
        yield rx.toast.success(f"已导出 {n} 条", position="top-center")

    def _job_outcome(self, task, verb: str):
        """None if the background job succeeded, else the event that tells the user why not.

        Called under the state lock. A refusal says why; anything unexpected is
        logged and reported in one Chinese line, and never leaves the page busy.
        """
        exc = task.exception()
        if exc is None:
            return None
        if isinstance(exc, Forbidden):
            return self._refused(exc)
        logging.getLogger(__name__).error("%s失败", verb, exc_info=exc)
        return rx.toast.error(f"{verb}失败，请稍后重试或联系管理员", position="top-center")

    async def _track(self, work, progress: dict):
        """Run blocking ``work`` in a thread, publishing its progress every 0.3 s."""
        import asyncio

        task = asyncio.get_running_loop().run_in_executor(None, work)
        while not task.done():
            await asyncio.sleep(0.3)
            async with self:
                self.io_progress = int(progress["done"] * 100 / max(progress["total"], 1))
        return task

    @rx.event
    def open_import(self):
        from clss_app.admin import io

        admin = self._admin()
        try:
            with self._session() as (_s, p):
                require(p, VIEW, admin.key)
                require(p, IMPORT, admin.key)
                self.import_columns = [admin.fields[n].label for n in io.import_columns(admin, p)]
        except Forbidden as exc:
            return self._refused(exc)
        self.import_errors, self.import_sample, self.import_total = [], [], 0
        self.import_ready, self.import_filename, self._import_preview = False, "", None
        self.import_open = True

    @rx.event
    def import_open_change(self, is_open: bool):
        if not is_open:
            self.import_open = False
            self._import_preview = None

    @rx.event
    def download_template(self):
        from clss_app.admin import downloads, io

        admin = self._admin()
        try:
            with self._session() as (s, p):
                data = io.template(admin, p)
                url = downloads.issue(s, p, data, f"{admin.site.menu[admin.key].label}-导入模板.xlsx")
        except Forbidden as exc:
            return self._refused(exc)
        return rx.download(url=url)

    @rx.event
    async def upload_import(self, files: list[rx.UploadFile]):
        """Receive the file (in memory, never the public upload folder), then check it."""
        if not files:
            return
        admin = self._admin()
        try:
            with self._session() as (_, p):
                require(p, IMPORT, admin.key)
        except Forbidden as exc:
            return self._refused(exc)
        upload = files[0]
        from clss_app.admin import io

        self._import_preview = None  # a new file: the last one's check no longer stands
        self._upload_data = await upload.read(io.MAX_IMPORT_BYTES + 1)
        self.import_filename = (upload.name or upload.filename or "import")[-128:]
        self.import_errors, self.import_sample, self.import_ready = [], [], False
        return AdminIOState.check_import

    @rx.event(background=True)
    async def check_import(self):
        """Dry run: parse and check every row, write nothing, show what is wrong."""
        from clss_app.admin import io

        async with self:
            admin, token = self._admin(), self.token
            data, filename = self._upload_data, self.import_filename
            self._upload_data = b""
            self.io_busy, self.io_progress, self.io_message = True, 0, "正在校验…"
        progress = {"done": 0, "total": 1}

        def work():
            from clss_app.services import auth as _auth

            with db.session_scope() as s:
                p = _auth.principal_for_token(s, token)
                require(p, IMPORT, admin.key)
                frame = io.read_sheet(data, filename)
                return io.dry_run(s, admin, p, frame, lambda d, t: progress.update(done=d, total=t))

        task = await self._track(work, progress)
        async with self:
            self.io_busy, self.io_message = False, ""
            exc = task.exception()
            if isinstance(exc, ValueError):  # an unreadable or oversized file: say so in the dialog
                self.import_errors = [{"row": "—", "column": "", "message": str(exc)}]
                self.import_ready, self.import_total, self.import_sample = False, 0, []
                return
            outcome = self._job_outcome(task, "校验")
            if outcome is None:
                preview = task.result()
                self._import_preview = preview
                self.import_total = preview.total
                self.import_errors = preview.errors[:200]
                self.import_sample = preview.sample
                self.import_ready = preview.ok
            else:
                self.import_open = False
        if outcome is not None:
            yield outcome

    @rx.event
    async def commit_import(self):
        """All or nothing: every checked row in one transaction. In a thread: a large file takes
        seconds, and this worker's other tabs go on meanwhile (this tab's state stays locked)."""
        return await asyncio.to_thread(self._commit_import)

    def _commit_import(self):
        from clss_app.admin import io

        admin, preview = self._admin(), self._import_preview
        try:
            with self._session() as (s, p):
                require(p, IMPORT, admin.key)  # a lapsed login goes to the login page first
                if preview is None or not self.import_ready:
                    return rx.toast.error("请先上传并通过校验", position="top-center")
                n = io.commit(s, admin, p, preview, self.import_filename)
        except Forbidden as exc:
            self._import_preview, self.import_ready = None, False
            return self._refused(exc)
        except crud.ValidationFailed as exc:
            self.import_ready = False
            self.import_errors = [{"row": "—", "column": "", "message": str(exc)}]
            return
        self.import_open, self._import_preview = False, None
        return [*self._fetch(fresh=True), rx.toast.success(f"已导入 {n} 条", position="top-center")]


def utcnow_str() -> str:
    from datetime import datetime

    from clss_app.admin.fields import SHANGHAI

    return datetime.now(SHANGHAI).strftime("%Y%m%d-%H%M%S")
