"""What a dashboard's page holds and does: its figures, filters and drill-down links, worked out by the
declaration on screen (clss_app/admin/widgets.py) inside the viewer's scope.

A mixin: ``clss_app/admin/dashboard.py`` composes it with the app's login state, which gives it the
principal (``_session``) and the answer to a refusal (``_refused``), as for the admin's mixins.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import plotly.graph_objects as go
import reflex as rx

from clss_app.admin import audit, downloads
from clss_app.admin.site import served
from clss_app.admin.states.transfer import utcnow_str
from clss_app.compat import MapField, map_field
from clss_app.services.permissions import Forbidden

if TYPE_CHECKING:
    from reflex.event import EventSpec
    from sqlmodel import Session

    from clss_app.services.permissions import Principal


class DashboardMixin(rx.State, mixin=True):
    dash_key: rx.Field[str] = rx.field("")
    stats: MapField[dict[str, str]] = map_field(dict)
    stat_links: MapField[dict[str, str]] = map_field(dict)
    stat_notes: MapField[dict[str, str]] = map_field(dict)
    figures: MapField[dict[str, go.Figure]] = map_field(dict)
    tables: MapField[dict[str, list[dict[str, str]]]] = map_field(dict)
    table_notes: MapField[dict[str, str]] = map_field(dict)  # a table cut short on screen says so
    dash_exporting: rx.Field[bool] = rx.field(False)
    dash_filters: MapField[dict[str, str]] = map_field(dict)
    dash_options: MapField[dict[str, list[dict[str, str]]]] = map_field(dict)
    dash_stale: rx.Field[bool] = rx.field(False)  # the data said newer figures are on their way
    _chart_links: dict[str, list[list[str]]] = {}

    if TYPE_CHECKING:
        # What the app's state provides (clss_app.state.AuthState), as for the admin's mixins (states/base.py).
        def _session(self) -> AbstractContextManager[tuple[Session, Principal | None]]: ...

        def _refused(self, exc: Forbidden) -> EventSpec: ...

    # The figures are worked out in a thread: a first look at a large scope reads for seconds, and
    # this worker's other tabs go on meanwhile (this tab's state stays locked until it is done).
    @rx.event
    async def load_dashboard(self, key: str):
        if key != self.dash_key:  # another dashboard: its own filters, starting from the URL's
            self.dash_key = key
            self.dash_filters = {k: str(v) for k, v in self.router.url.query_parameters.items()}
            # Never show the previous dashboard's figures under this one's titles while it loads.
            self.stats, self.figures, self.tables, self.dash_options, self.table_notes = {}, {}, {}, {}, {}
            yield
        first_look = not self.figures
        answer = await asyncio.to_thread(self._render)
        dash = served().dashboard(self.dash_key)
        if first_look and dash is not None and len(self.figures) > 1:
            # The browser draws charts one after another in one task (Plotly: ~100 ms each, six on 经营看板),
            # showing none until the last is done. The numbers and the first row come first, painted while
            # the rest are drawn from the second update.
            every, first = self.figures, dash.first_row_charts()
            self.figures = {k: v for k, v in every.items() if k in first}
            yield
            self.figures = every
        yield answer

    @rx.event
    async def set_dash_filter(self, name: str, value: str):
        self.dash_filters = {**self.dash_filters, name: str(value)[:64]}
        return await asyncio.to_thread(self._render)

    @rx.event
    async def export_dashboard(self):
        """导出Excel: the tables as the filters on screen choose them, checked again on the server."""
        dash = served().dashboard(self.dash_key)
        if dash is None or not dash.offers_export() or self.dash_exporting:
            return
        self.dash_exporting = True
        yield
        chosen = dict(self.dash_filters)

        def work() -> tuple[str, int]:
            with self._session() as (s, p):
                data, rows = dash.export_xlsx(s, p, chosen)
                assert p is not None  # export_xlsx refused anyone not logged in
                label = served().menu[dash.key].label
                url = downloads.issue(s, p, data, f"{label}-{utcnow_str()}.xlsx")
                audit.record(s, p, dash.key, None, "export", summary=f"导出 {rows} 行（xlsx）")
                return url, rows

        try:
            url, rows = await asyncio.to_thread(work)
        except Forbidden as exc:
            yield self._refused(exc)
            return
        finally:
            self.dash_exporting = False
        yield rx.download(url=url)
        yield rx.toast.success(f"已导出 {rows} 行", position="top-center")

    @rx.event
    def open_point(self, chart: str, points: list[dict]):
        """A click on a bar or point of a chart opens the list behind it."""
        links = self._chart_links.get(chart, [])
        for pt in points[:1]:
            curve, index = pt.get("curveNumber"), pt.get("pointNumber")
            if not isinstance(curve, int) or not isinstance(index, int) or not 0 <= curve < len(links):
                continue
            if 0 <= index < len(links[curve]) and links[curve][index]:
                return rx.redirect(links[curve][index])

    def _render(self):
        dash = served().dashboard(self.dash_key)
        if dash is None:
            return
        try:
            with self._session() as (s, p):
                values = dash.render_values(s, p, self.dash_filters)
        except Forbidden as exc:
            self.stats, self.figures, self.tables, self.table_notes = {}, {}, {}, {}
            return self._refused(exc)
        self.stats, self.figures, self.tables = values["stats"], values["figures"], values["tables"]
        self.table_notes = values["table_notes"]
        self.stat_links, self.stat_notes, self._chart_links = (
            values["stat_links"],
            values["stat_notes"],
            values["chart_links"],
        )
        self.dash_filters, self.dash_options = values["chosen"], values["options"]
        was_stale, self.dash_stale = self.dash_stale, values["stale"]
        if self.dash_stale and not was_stale:
            return self.__class__.refresh_when_fresh

    @rx.event(background=True)
    async def refresh_when_fresh(self):
        """Look again every second until the data is no longer stale (at most a minute)."""
        for _ in range(60):
            await asyncio.sleep(1)
            async with self:
                if not self.dash_stale:
                    return
                self.dash_stale = False  # so that _render does not start another of us
                await asyncio.to_thread(self._render)
                if not self.dash_stale:
                    return
