"""What every part of the admin state reads: which admin is on screen, its query and rows, what the
viewer may do; and what the app's state must provide (the principal behind this tab).

The state is one Reflex substate made of mixins, one module per concern, stacked in this order:
base → selection (and actions) → fields (pickers, uploads) → detail → form → list; each may use what
comes before it. ``clss_app/admin/state.py`` composes them with the app's login state.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import reflex as rx

from clss_app.admin.query import ListQuery
from clss_app.admin.site import served
from clss_app.admin.view import ModelAdmin
from clss_app.compat import MapField, map_field
from clss_app.services.permissions import Forbidden

if TYPE_CHECKING:
    from reflex.event import EventSpec
    from sqlmodel import Session

    from clss_app.services.permissions import Principal


class AdminBase(rx.State, mixin=True):
    admin_key: rx.Field[str] = rx.field("")
    rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    rows_key: rx.Field[str] = rx.field("")  # the admin whose rows these are
    total: rx.Field[int] = rx.field(0)
    total_text: rx.Field[str] = rx.field("")
    q: rx.Field[str] = rx.field("")
    filters: MapField[dict[str, str]] = map_field(dict)
    sort: rx.Field[str] = rx.field("")
    page: rx.Field[int] = rx.field(1)
    page_size: rx.Field[int] = rx.field(20)
    pages: rx.Field[int] = rx.field(1)
    pages_text: rx.Field[str] = rx.field("1")
    loading: rx.Field[bool] = rx.field(False)

    perms: MapField[dict[str, bool]] = map_field(dict)
    hidden_columns: rx.Field[list[str]] = rx.field(default_factory=list)  # every field hidden from the viewer's role
    search_labels: rx.Field[str] = rx.field("")  # what the search box searches, for this role
    action_perms: MapField[dict[str, bool]] = map_field(dict)

    if TYPE_CHECKING:
        # What the app's state provides (clss_app.state.AuthState); mypy checks the composition against it.
        token: str

        def _session(self) -> AbstractContextManager[tuple[Session, Principal | None]]:
            """A database session and the principal behind this tab's login (None: nobody)."""
            ...

        def _refused(self, exc: Forbidden) -> EventSpec:
            """How to answer a refusal: a toast, or to the login page when the login is gone."""
            ...

        # Provided by the list (states/listing.py), used by every part that changes rows.
        def _fetch(
            self, fresh: bool = False, wanted: ListQuery | None = None, params: dict[str, str] | None = None
        ) -> list[Any]: ...

    def _admin(self) -> type[ModelAdmin]:
        if self.admin_key not in served():  # an event before any list was loaded (a forged one)
            raise Forbidden("请先打开列表页面")
        return served().admin(self.admin_key)

    def _put(self, **values: object) -> None:
        """Assign only what changed: every assigned var travels in the delta and re-renders
        whatever reads it (perms and hidden_columns are read by every row)."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _query(self) -> ListQuery:
        return ListQuery(q=self.q, filters=dict(self.filters), sort=self.sort, page=self.page, page_size=self.page_size)
