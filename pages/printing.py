"""Printing from a row: an action renders the document (services/documents.py) and hands it over as a
one-time download; the engine's audit of the action names the file printed (a receipt's number)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from clss_app.admin import downloads
from clss_app.core.results import ActionContext, ActionResult
from clss_app.services import documents


def handed_over(ctx: ActionContext, doc: documents.Document) -> ActionResult:
    url = downloads.issue(ctx.session, ctx.principal, doc.data, doc.filename)
    return ActionResult(done=1, download=url, notes=[doc.filename])


def printed(
    render: Callable[[Session, Any, int | None], documents.Document],
) -> Callable[[ActionContext], ActionResult]:
    """The action that prints ``render``'s document of one row."""

    def run(ctx: ActionContext) -> ActionResult:
        if len(ctx.rows) != 1:
            return ActionResult(refused=[("打印", "一次打印一份，请只选一条记录")])
        try:
            doc = render(ctx.session, ctx.rows[0], ctx.principal.actor_id)
        except documents.DocumentError as exc:
            return ActionResult(refused=[("打印", str(exc))])
        return handed_over(ctx, doc)

    return run
