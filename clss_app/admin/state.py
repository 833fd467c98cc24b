"""The one Reflex state behind every generated list, detail and form page: the engine's mixins
(clss_app/admin/states/) composed with the app's login state, which gives them the principal.

This module is the app's composition, not engine code; it sits at this path because Reflex names
every event after its state's module and class (``…clss_app___admin___state____admin_state.load``),
and the browser, the forged-event suite and the benchmarks send those names.

One state serves every admin (never one per admin: each substate's vars travel on every hydrate),
so switching from one list to another needs ``rows_key`` (the list shows only its own rows),
``clss-init`` on the page until they arrive, and ``_create_after_load`` (新增 clicked before the
page's own load ran).
"""

from __future__ import annotations

from clss_app.admin.states.listing import ListMixin
from clss_app.admin.states.transfer import TransferMixin
from clss_app.state import AuthState


class AdminState(AuthState, ListMixin):
    """List, selection and actions, form and pickers, detail (each mixin stacks on the one before)."""


class AdminIOState(TransferMixin, AdminState):
    """Export and import of the current admin, as background jobs with progress."""
