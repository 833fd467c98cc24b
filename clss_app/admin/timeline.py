"""A row's timeline as the detail shows it: its audit entries that changed it (not downloads or reveals),
with what its admin's ``timeline`` hook adds (status logs, payments, approvals), people by name."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, select

from clss_app.admin import audit
from clss_app.core.timeline import Event, assemble
from clss_app.services import accounts
from clss_app.services.permissions import Principal
from models import AuditLog

# Audit actions that only read the row: in its 操作记录, not in its story.
READS = {"download", "reveal", "export"}
TONES = {"create": "blue", "delete": "red"}


def _state_change(admin: Any, entry: AuditLog) -> str:
    """ "待执行 → 执行中" when the entry moved the row's state, else ""."""
    state = admin.state_name()
    if not state:
        return ""
    before, after = json.loads(entry.before or "{}"), json.loads(entry.after or "{}")
    if state not in after or before.get(state) == after.get(state):
        return ""
    spec = admin.fields[state]
    return " → ".join(spec.enum.label_of(v) for v in (before.get(state), after[state]) if v is not None)


def audit_events(session: Session, admin: Any, p: Principal | None, entries: Iterable[AuditLog]) -> list[Event]:
    labels = {f"action:{a.name}": a.label for a in admin.actions}
    out = []
    for e in entries:
        if e.action in READS:
            continue
        moved = _state_change(admin, e)
        if e.action == "create":
            what, why = e.summary or f"新增{admin.title_noun()}", moved and f"状态：{moved}"
        elif e.action == "update":
            what = f"状态：{moved}" if moved else "修改"
            why = audit.describe(session, admin, e, p)
        else:
            named = labels.get(e.action) or audit.ACTION_LABELS.get(e.action)
            what = named or e.summary or e.action  # a job's own entry ("合同到期") says what it did
            why = e.summary.removeprefix(what).lstrip("：: ")  # "驳回：证件不符" -> the reason alone
            if moved:
                what = f"{what}（{moved}）"
        out.append(Event(e.at, e.username, what, why, TONES.get(e.action, "green" if moved else "")))
    return out


def _siblings(admin: Any) -> list[Any]:
    """The admins of ``admin``'s model (合同列表, 入住办理, 退房办理 …): a row's story is told in each of them."""
    site = getattr(admin, "site", None)
    others = [a for a in site.admins() if a.model is admin.model] if site is not None else []
    return others or [admin]


def timeline(session: Session, admin: Any, p: Principal | None, row: Any, limit: int = 50) -> list[dict[str, str]]:
    """What happened to ``row``, the latest first (``p`` already checked: may view it, in scope)."""
    admins = {a.key: a for a in _siblings(admin)}
    entries = session.exec(
        select(AuditLog)
        .where(AuditLog.resource.in_(list(admins)), AuditLog.row_id == row.id)
        .order_by(AuditLog.id.desc())
        .limit(limit)
    ).all()[::-1]  # the latest ``limit``, in the order they happened
    events = []
    for key, one in admins.items():  # each entry read by the admin that wrote it (its action labels)
        events += audit_events(session, one, p, [e for e in entries if e.resource == key])
    events += admin.timeline(session, p, row)
    ids = [e.who for e in events if isinstance(e.who, int)]
    names = accounts.staff_names(session, ids, [e.who for e in events if isinstance(e.who, str)])
    return assemble(events, names, limit)


def states_of(session: Session, admin: Any, ids: list[int]) -> dict[int, Any]:
    """{id: state} of the rows ``ids``, as stored now (an action's services update with plain UPDATEs)."""
    state = admin.state_name()
    if not state or not ids:
        return {}
    model = admin.model
    out: dict[int, Any] = {}
    for i in range(0, len(ids), 500):
        out.update(session.exec(select(model.id, getattr(model, state)).where(model.id.in_(ids[i : i + 500]))).all())
    return out


def record_moves(session: Session, admin: Any, p: Principal, action: Any, was: dict[int, Any], text: str) -> int:
    """One audit entry per row whose state ``action`` changed (the row's timeline: who, when, why)."""
    state = admin.state_name()
    now = states_of(session, admin, list(was))
    moved = [(i, was[i], now[i]) for i in was if i in now and now[i] != was[i]]
    summary = (f"{action.label}：{text}" if text else action.label)[:255]
    for row_id, before, after in moved:
        audit.record(
            session,
            p,
            admin.key,
            row_id,
            f"action:{action.name}",
            before={state: getattr(before, "value", before)},
            after={state: getattr(after, "value", after)},
            summary=summary,
        )
    return len(moved)
