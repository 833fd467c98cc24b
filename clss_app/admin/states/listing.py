"""The list: load a page of rows for the query in the URL, then count; search, filter, sort, page.

Only the page on screen lives in the state (rows as display strings); the query lives in the URL,
so links are shareable and the back button works.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import reflex as rx
from sqlmodel import Session

from clss_app.admin import filter_sets, search
from clss_app.admin.query import MAX_PAGE, ListQuery, count, display, fetch_page
from clss_app.admin.site import served
from clss_app.admin.states.form import FormMixin
from clss_app.admin.states.selection import acts_text
from clss_app.admin.view import ModelAdmin
from clss_app.compat import event
from clss_app.core.errors import ValidationFailed
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
)

# Clears the pending mark the page script sets when a list control is used (assets/clss.js).
LIST_SETTLED = rx.call_script("delete document.getElementById('admin-list')?.dataset.loading")


class ListMixin(FormMixin, mixin=True):
    _counted: str = ""  # the admin and conditions the shown total was counted for
    _options_for: str = ""  # the admin whose filter options are loaded
    _idle: list[str] = []  # filters that cannot narrow this view (filter_sets.idle_filters)
    idle_filters: rx.Field[list[str]] = rx.field(default_factory=list)  # filters that cannot matter in this view
    more_active: rx.Field[int] = rx.field(0)  # filters set under 更多筛选
    saved_filters: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)  # 常用筛选: id, name, query
    save_filter_open: rx.Field[bool] = rx.field(False)
    save_filter_error: rx.Field[str] = rx.field("")

    def _navigate(self, q: ListQuery) -> list[Any]:
        """Show ``q`` now and record it in the URL (history.pushState, not a navigation).

        One round trip instead of three: a navigation would re-hydrate the
        whole state and run the page guard again. Back/forward: the page
        listens to popstate and sends the URL's query to ``apply_search``.
        """
        return self._fetch(wanted=q)

    def _display_rows(
        self, session: Session, admin: type[ModelAdmin], p: Principal, rows: list
    ) -> list[dict[str, str]]:
        out = display(session, admin, p, rows, admin.visible(p, admin.list_columns))
        allowed = [a for a in admin.actions if can(p, f"action:{a.name}", admin.key)]
        for d, r in zip(out, rows):
            d["id"] = str(r.id)
            # The actions that apply to this row (its state: Action.when) and that p may run; the
            # first primary one is the row's button, the others sit under 更多 (components/table.py).
            fit = [a for a in allowed if a.applies(r)]
            d["_primary"] = next((a.name for a in fit if a.primary), "")
            d["_acts"] = acts_text([a.name for a in fit])
            d["_more"] = "1" if any(a.name != d["_primary"] for a in fit) else ""
            d["_edit"] = "" if admin.update_problem(r) else "1"  # update_when: the rows 编辑 applies to
        return out

    @event
    def load(self, key: str):
        """Read the query from the URL and show that page of rows."""
        if key not in served():
            return refusal()
        if key != self.admin_key:
            self.selected, self.all_matching, self.bulk_actions, self.bulk_hint = [], False, [], ""
            self.form_open = self.detail_open = self.confirm_open = False
        self.admin_key = key
        params = {k: str(v) for k, v in self.router.url.query_parameters.items()}
        events = self._show_params(params, fresh=True)
        pending, self._create_after_load = self._create_after_load == key, ""
        if (pending or params.get("new") == "1") and self.perms.get(CREATE):
            # A link that means "add one here" (房态图 → 预定 this room): the form opens prefilled
            # from the URL's filters. Still checked again by open_create and save.
            refused = self.open_create("")
            if refused is not None:
                return refused
        return events

    @event
    def apply_search(self, search: str):
        """Back/forward within the list: the browser's query string is the truth."""
        if not self.admin_key or not isinstance(search, str):
            return
        return self._show_params({k: v[-1] for k, v in parse_qs(search.lstrip("?")).items()})

    def _show_params(self, params: dict[str, str], fresh: bool = False) -> list[Any]:
        return self._fetch(fresh, params=params)

    def _fetch(
        self, fresh: bool = False, wanted: ListQuery | None = None, params: dict[str, str] | None = None
    ) -> list[Any]:
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
        events: list[Any] = [LIST_SETTLED]
        try:
            with self._session() as (s, p):
                p = require(p, VIEW, admin.key)
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
                self._note_acts(self.rows, fresh)
                self._put(
                    rows_key=admin.key,
                    hidden_columns=[n for n in admin.fields if n not in admin.visible(p, admin.fields)],
                    search_labels=search.labels(admin, p),
                    perms={a: can(p, a, admin.key) for a in (CREATE, UPDATE, DELETE, EXPORT, IMPORT)},
                    action_perms={a.name: can(p, f"action:{a.name}", admin.key) for a in admin.actions},
                )
                if self.all_matching:  # what the bar offers follows the rows' states now
                    self._bulk_from_query(s, admin, p)
                elif self.selected:
                    self._bulk_from_rows()
                if self._options_for != admin.key:  # the filters' unfiltered options, once per list
                    for name in admin.filters_for(p):
                        if admin.fields[name].kind == "fk":
                            self._load_fk_options(s, admin, p, name, "")
                    self._idle = filter_sets.idle_filters(s, admin, p)
                    self._load_saved(s, admin, p)
                    self._options_for = admin.key
                _, more = filter_sets.primary_split(admin, admin.filters_for(p))
                used = {k.partition("__")[0] for k in q.filters}
                self._put(
                    more_active=len(used & set(more)),
                    idle_filters=[n for n in self._idle if n not in used],  # one in use stays in sight
                )
        except Forbidden as exc:
            self.rows, self.rows_key, self.total, self.total_text = [], admin.key, 0, "0"
            self._counted, self._options_for = "", ""
            return [LIST_SETTLED, self._refused(exc)]
        counted = f"{admin.key}|{q.q}|{sorted(q.filters.items())}|{q.page_size}"
        if counted == self._counted:  # same rows matched (a sort or another page): same count
            return events
        self._counted = counted
        self.total_text = "…"
        return [*events, self.__class__.load_count]

    @event
    def load_count(self):
        admin, q = self._admin(), self._query()
        try:
            with self._session() as (s, p):
                p = require(p, VIEW, admin.key)
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

    @event
    def search(self, form: dict):
        q = self._query()
        q.q, q.page = form.get("q", ""), 1
        if not isinstance(q.q, str):
            return refusal()
        return self._navigate(q)

    @event
    def set_filter(self, name: str, value: str):
        q = self._query()
        if value:
            q.filters[name] = value
        else:
            q.filters.pop(name, None)
        q.page = 1
        return self._navigate(q)

    @event
    def clear_filters(self):
        q = self._query()
        q.filters, q.q, q.page = {}, "", 1
        return self._navigate(q)

    @event
    def sort_by(self, name: str):
        q = self._query()
        q.sort = f"-{name}" if q.sort == name else name
        q.page = 1
        return self._navigate(q)

    @event
    def go_page(self, page: int | str):
        q = self._query()
        try:
            q.page = min(max(1, int(page)), self.pages)
        except (TypeError, ValueError):
            return refusal("请输入页码")
        return self._navigate(q)

    @event
    def jump(self, form: dict):
        return self.go_page(form.get("page", "1"))

    @event
    def set_page_size(self, size: str):
        q = self._query()
        q.page = 1
        try:
            q.page_size = int(size)
        except ValueError:
            return refusal()
        return self._navigate(q)

    # ------------------------------------------------------------------ 常用筛选
    def _load_saved(self, session: Session, admin: type[ModelAdmin], p: Principal) -> None:
        rows = filter_sets.saved_for(session, p.user_id, admin.key)
        self._put(saved_filters=[{"id": str(r.id), "name": r.name, "query": r.query} for r in rows])

    @event
    def open_save_filter(self):
        self.save_filter_error = ""
        self.save_filter_open = True

    @event
    def save_filter_open_change(self, is_open: bool):
        self.save_filter_open = bool(is_open)

    @event
    def save_filter(self, form: dict):
        """Keep the list's search, filters and sort under a name, for this user on this list."""
        admin = self._admin()
        name = form.get("name", "")
        if not isinstance(name, str):
            return refusal()
        try:
            with self._session() as (s, p):
                p = require(p, VIEW, admin.key)
                filter_sets.save(s, p.user_id, admin.key, name, self._query().to_params(admin))
                self._load_saved(s, admin, p)
        except ValidationFailed as exc:
            self.save_filter_error = exc.errors.get("name", str(exc))
            return
        except Forbidden as exc:
            return self._refused(exc)
        self.save_filter_open, self.save_filter_error = False, ""
        return rx.toast.success(f"已保存常用筛选“{name.strip()}”", position="top-center")

    @event
    def apply_saved_filter(self, saved_filter_id: str):
        """Show the list as the saved set asks: only the user's own set, only what the role may ask."""
        admin = self._admin()
        if not isinstance(saved_filter_id, str) or not saved_filter_id.isdigit():
            return refusal()
        try:
            with self._session() as (s, p):
                p = require(p, VIEW, admin.key)
                row = filter_sets.get_owned(s, p.user_id, admin.key, int(saved_filter_id))
                if row is None:
                    return refusal("该常用筛选不存在或已删除")
                params = dict(parse_qs(row.query))
                wanted = ListQuery.from_params({k: v[-1] for k, v in params.items()}, admin, p)
        except Forbidden as exc:
            return self._refused(exc)
        wanted.page_size = self.page_size if self.page_size in admin.page_sizes else admin.page_sizes[0]
        return self._navigate(wanted)

    @event
    def delete_saved_filter(self, saved_filter_id: str):
        admin = self._admin()
        if not isinstance(saved_filter_id, str) or not saved_filter_id.isdigit():
            return refusal()
        try:
            with self._session() as (s, p):
                p = require(p, VIEW, admin.key)
                if not filter_sets.delete(s, p.user_id, admin.key, int(saved_filter_id)):
                    return refusal("该常用筛选不存在或已删除")
                self._load_saved(s, admin, p)
        except Forbidden as exc:
            return self._refused(exc)
        return rx.toast.success("已删除常用筛选", position="top-center")
