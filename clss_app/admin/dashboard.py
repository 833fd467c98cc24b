"""The one Reflex state behind every declared dashboard: the engine's mixin (clss_app/admin/states/dashboard.py)
composed with the app's login state, which gives it the principal.

This module is the app's composition, not engine code; it sits at this path because Reflex names
every event after its state's module and class (``…clss_app___admin___dashboard____dashboard_state.load_dashboard``),
and the browser, the forged-event suite and the pages' load events send those names.
"""

from __future__ import annotations

from clss_app.admin.states.dashboard import DashboardMixin
from clss_app.state import AuthState


class DashboardState(AuthState, DashboardMixin):
    """Figures, filters and drill-down links of the dashboard on screen."""
