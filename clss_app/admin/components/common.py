"""What the admin page's parts share: the state classes they bind to, passed in by the app.

The parts take the state classes as arguments instead of importing them: the engine's components
know the engine's mixins (for types) and nothing of the app that composes them.
"""

from __future__ import annotations

import reflex as rx
from reflex.event import FileUpload
from reflex.vars.sequence import ArrayVar

from clss_app.admin.states.listing import ListMixin
from clss_app.admin.states.transfer import TransferMixin
from clss_app.admin.view import Action
from clss_app.upload_guard import SESSION_HEADER

State = type[ListMixin]  # the composed admin state (clss_app/admin/state.py: AdminState)
IOState = type[TransferMixin]  # its export/import substate (AdminIOState)


def files(S: State | IOState, upload_id: str) -> FileUpload:
    """The files of an upload, sent with the login token: the upload guard refuses them without it."""
    return rx.upload_files(upload_id=upload_id, extra_headers={SESSION_HEADER: S.token})


def options(S: State, name: str) -> rx.Var:
    return rx.cond(S.fk_options.contains(name), S.fk_options[name], [])


def unless_hidden(S: State, name: str, component: rx.Component) -> rx.Component:
    """Columns and filters hidden from the viewer's role are not rendered (nor sent: see _display_rows)."""
    return rx.cond(S.hidden_columns.contains(name), rx.fragment(), component)


def action_buttons(actions: list[Action], offered: ArrayVar, click, id_prefix: str) -> list[rx.Component]:
    """One button per action, shown when the server lists it in ``offered`` (it applies, the role may
    run it); ``click(name)`` is the event asking its confirmation."""
    return [
        rx.cond(
            offered.contains(a.name),
            rx.button(
                a.label,
                size="2",
                variant="soft",
                color_scheme="red" if a.danger else "blue",
                on_click=click(a.name),
                id=f"{id_prefix}{a.name}",
            ),
        )
        for a in actions
    ]
