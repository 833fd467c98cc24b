"""Create, read, update, delete and actions for any ModelAdmin, server-side.

Plain Python (no Reflex): forms, imports, actions and tests call the same
functions, so one validation and one permission check serve them all.
"""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.admin import audit, many, privacy, stored_files, timeline
from clss_app.admin.fields import MAX_INT, FieldSpec, column, label_attr, table_of
from clss_app.admin.ordering import next_position
from clss_app.admin.query import ListQuery, matching_ids
from clss_app.admin.view import Action, ActionResult, Errors, ModelAdmin, Values
from clss_app.core.errors import Conflict, FieldError, ValidationFailed
from clss_app.core.memo import IMPORT_MEMO as IMPORT_MEMO  # io.py opens and closes the import cache
from clss_app.core.results import ActionContext
from clss_app.core.rows import changed
from clss_app.services.permissions import (
    CREATE,
    DELETE,
    NOT_FOUND,
    UPDATE,
    VIEW,
    Forbidden,
    Principal,
    require,
)
from models import utcnow

MAX_BULK = 100_000
T = TypeVar("T")
Within = tuple[str, Any, str]  # (column, value, label): the target row must hold that value too


def get_row(session: Session, admin: type[ModelAdmin], p: Principal | None, row_id: Any, action: str = VIEW) -> Any:
    """The row, if the role may do ``action`` and the row is inside the scope."""
    p = require(p, action, admin.key)
    try:
        wanted = int(row_id)
    except (TypeError, ValueError):
        wanted = 0
    row = session.get(admin.model, wanted) if 0 < wanted <= MAX_INT else None
    problem = _row_problem(p, admin, row)
    if not problem and action == UPDATE:
        problem = admin.update_problem(row)
    if problem:
        raise Forbidden(problem)
    return row


def _row_problem(p: Principal, admin: type[ModelAdmin], row: Any) -> str:
    if row is None:
        return NOT_FOUND
    if admin.scope and not admin.scope.allows(p, getattr(row, admin.scope.column)):
        return NOT_FOUND  # the answer of a missing row: nothing tells the two apart
    if any(getattr(row, name) not in values for name, values in admin.only.items()):
        return "该记录当前状态不在此列表中，请刷新"
    return ""


def validate(
    session: Session,
    admin: type[ModelAdmin],
    p: Principal,
    raw: dict[str, Any],
    row: Any | None = None,
    names: list[str] | None = None,
    fk_cache: dict[Any, Any] | None = None,
    check_unique: bool = True,
    uploaded: dict[str, set[str]] | None = None,
) -> tuple[Values, Errors]:
    """Parse and check ``raw`` (strings from a form or cells from a sheet).

    Returns (values, errors); errors map a field name to its Chinese message.
    The same checks serve forms and imports: required, length, type, range,
    enum, foreign key exists (and is inside the scope), a stored file's
    reference uploaded by this form (``uploaded``: {field: references}) or
    already the row's, unique, then the admin's own rules.
    """
    names = names if names is not None else admin.editable(p, admin.form)
    if row is not None:  # a personal number the role reads masked is not its to overwrite (a new row's is typed in)
        names = [n for n in names if not privacy.masked(admin.fields[n], p)]
    values: Values = {}
    errors: Errors = {}
    # A foreign key chosen "within" another field (a building within the room's project)
    # is resolved after that field.
    for name in sorted(names, key=lambda n: bool(admin.fields[n].within)):
        spec = admin.fields[name]
        try:
            if spec.kind == "many":
                values[name] = _resolve_many(session, spec, raw.get(name), p, fk_cache)
                continue
            value = spec.parse(raw.get(name))
            if spec.kind == "fk" and value not in (None, ""):
                within = spec.within
                if within:
                    parent = values.get(within, getattr(row, within, None) if row is not None else None)
                    if parent is None:
                        continue  # the parent field's own error says what is wrong
                    value = resolve_fk(session, spec, value, p, fk_cache, (within, parent, admin.fields[within].label))
                else:
                    value = resolve_fk(session, spec, value, p, fk_cache)
            values[name] = value
        except FieldError as exc:
            errors[name] = str(exc)
    errors.update(
        stored_files.borrowed(admin, {n: v for n, v in values.items() if n not in errors}, row, uploaded or {})
    )
    if errors:
        return values, errors
    merged = {
        **(_current(session, admin, row) if row is not None else {}),
        **(admin.defaults if row is None else {}),
        **values,
    }
    if check_unique:  # an import checks all its rows at once instead
        errors.update(_unique_errors(session, admin, merged, row))
    if not errors:
        errors.update(admin.validate(session, p, merged, row))
    scope = admin.scope_on_create if row is None and admin.scope_on_create else admin.scope
    if not errors and scope and scope.column in merged and not scope.allows(p, merged[scope.column]):
        errors[scope.column] = "所选数据不在您的数据权限范围内"
    return values, errors


def _current(session: Session, admin: type[ModelAdmin], row: Any) -> Values:
    """The row's stored values, many-to-many fields as lists of ids."""
    values = {n: getattr(row, n) for n in admin.columns()}
    links = many.load(session, admin, [row.id], list(admin.many))
    values.update({n: [i for i, _ in links[n].get(row.id, [])] for n in admin.many})
    return values


def _resolve_many(session: Session, spec: FieldSpec, raw: Any, p: Principal, cache: dict[Any, Any] | None) -> list[int]:
    ids: list[int] = []
    items = many.split(raw)
    if len(items) > many.MAX_CHOSEN:
        raise FieldError(f"{spec.label}最多选择 {many.MAX_CHOSEN} 项")
    for item in items:
        found = resolve_fk(session, spec, item, p, cache)
        if found not in ids:
            ids.append(found)
    if spec.required and not ids:
        raise FieldError(f"{spec.label}至少选择一项")
    return ids


def snapshot(session: Session, admin: type[ModelAdmin], row: Any) -> dict[str, Any]:
    """The audit snapshot: the row's columns, and each many-to-many field as its labels."""
    snap = audit.snapshot(row) or {}
    links = many.load(session, admin, [row.id], list(admin.many))
    snap.update({n: "、".join(lbl for _, lbl in links[n].get(row.id, [])) for n in admin.many})
    return snap


def _split_links(admin: type[ModelAdmin], values: Values) -> dict[str, list[int]]:
    return {n: values.pop(n) for n in list(values) if n in admin.many}


def resolve_fk(
    session: Session,
    spec: FieldSpec,
    value: Any,
    p: Principal,
    cache: dict[Any, Any] | None = None,
    within: Within | None = None,
) -> int:
    """An id from a picker or a name from a spreadsheet -> an existing id inside the scope.

    ``within``: (column, value, label) the target row must also have, e.g. the same project.
    ``cache`` (an import's) remembers each answer, refusals included.
    """
    key = (spec.name, str(value), within)
    if cache is not None and key in cache:
        outcome = cache[key]
    else:
        try:
            outcome = _lookup_fk(session, spec, value, p, within)
        except FieldError as exc:
            outcome = exc
        if cache is not None:
            cache[key] = outcome
    if isinstance(outcome, FieldError):
        raise FieldError(str(outcome))
    return int(outcome)


def _lookup_fk(session: Session, spec: FieldSpec, value: Any, p: Principal, within: Within | None) -> int:
    target = spec.fk_model
    assert target is not None, spec
    pk = column(target, "id")
    extra = [column(target, within[0]) == within[1]] if within else []
    if spec.fk_scope is not None:  # rows outside the scope are not there at all: neither found nor "not unique"
        extra.append(spec.fk_scope.clause(p, target))
    found = None
    if (isinstance(value, int) or str(value).isdigit()) and int(value) <= MAX_INT:
        found = session.exec(select(pk).where(pk == int(value), *extra)).first()
    if found is None:
        attr = column(target, label_attr(target))
        hits = session.exec(select(pk).where(attr == str(value), *extra).limit(2)).all()
        if len(hits) > 1:
            raise FieldError(f"{spec.label}“{value}”不唯一，请改用编号")
        found = hits[0] if hits else None
    if found is None:
        raise FieldError(
            f"所选{within[2]}下没有{spec.label}“{value}”" if within else f"{spec.label}“{value}”不存在或无权访问"
        )
    return int(found)


def unique_sets(admin: type[ModelAdmin]) -> list[tuple[str, ...]]:
    table = table_of(admin.model)
    sets: list[tuple[str, ...]] = [(c.name,) for c in table.columns if c.unique]
    for cons in table.constraints:
        if isinstance(cons, sa.UniqueConstraint):
            sets.append(tuple(c.name for c in cons.columns))
    for idx in table.indexes:
        # A partial unique index (one agreement in force per tenant) holds for some rows only: the
        # admin's validate says it in words; checked here, it would refuse what it allows.
        partial = any(idx.dialect_options[d].get("where") is not None for d in ("sqlite", "postgresql"))
        if idx.unique and not partial:
            sets.append(tuple(c.name for c in idx.columns))
    return list(dict.fromkeys(sets))


def _unique_errors(session: Session, admin: type[ModelAdmin], merged: Values, row: Any) -> Errors:
    errors: Errors = {}
    model = admin.model
    pk = column(model, "id")
    for cols in unique_sets(admin):
        if any(c not in merged for c in cols):
            continue
        stmt = select(pk).where(*[column(model, c) == merged[c] for c in cols])
        if row is not None:
            stmt = stmt.where(pk != row.id)
        if session.exec(stmt.limit(1)).first() is not None:
            errors[cols[-1]] = unique_message(admin, cols, merged)
    return errors


def unique_message(admin: type[ModelAdmin], cols: tuple[str, ...], values: Values) -> str:
    last = cols[-1]
    spec = admin.fields[last]
    value = spec.label_of(values[last]) if spec.labels is not None else values[last]  # 滞纳金宽限天数, not its key
    if len(cols) > 1:
        return f"{'、'.join(admin.fields[c].label for c in cols)}已存在：{value}"
    return f"{spec.label}“{value}”已存在"


def existing_keys(
    session: Session, admin: type[ModelAdmin], cols: tuple[str, ...], keys: set[tuple[Any, ...]]
) -> set[tuple[Any, ...]]:
    """Which of ``keys`` (values of the unique set ``cols``) are already stored: one query per 500."""
    found: set[tuple[Any, ...]] = set()
    wanted = list(keys)
    columns = [column(admin.model, c) for c in cols]
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        cond = sa.tuple_(*columns).in_(chunk) if len(cols) > 1 else columns[0].in_([k[0] for k in chunk])
        found.update(tuple(r) for r in session.execute(select(*columns).where(cond)).all())
    return found


def create(
    session: Session,
    admin: type[ModelAdmin],
    p: Principal | None,
    raw: dict[str, Any],
    uploaded: dict[str, set[str]] | None = None,
) -> tuple[Any, str]:
    """Insert a row; returns it with the admin's note for the user (may be empty)."""
    p = require(p, CREATE, admin.key)
    values, errors = validate(session, admin, p, raw, uploaded=uploaded)
    if errors:
        raise ValidationFailed(errors)
    values = {**admin.defaults, **values}
    if admin.ordering and values.get(admin.ordering.column) is None:  # a new row goes last in its group
        values[admin.ordering.column] = next_position(session, admin, values)
    note = admin.before_save(session, p, values, None)
    links = _split_links(admin, values)
    row: Any = admin.model(**values)
    session.add(row)
    session.flush()
    many.save(session, admin, row.id, links)
    stored_files.record(session, admin, row, p.username)
    admin.after_create(session, p, row)
    audit.record(
        session,
        p,
        admin.key,
        row.id,
        "create",
        after=snapshot(session, admin, row),
        summary=f"新增 {admin.row_label(row)}",
    )
    return row, note


def update(
    session: Session,
    admin: type[ModelAdmin],
    p: Principal | None,
    row_id: Any,
    raw: dict[str, Any],
    version: int,
    uploaded: dict[str, set[str]] | None = None,
) -> tuple[Any, str]:
    """Save an edit made on version ``version``; refuse if the row moved on since."""
    p = require(p, UPDATE, admin.key)
    row = get_row(session, admin, p, row_id, UPDATE)
    values, errors = validate(session, admin, p, raw, row, uploaded=uploaded)
    if errors:
        raise ValidationFailed(errors)
    before = snapshot(session, admin, row)
    changes = dict(values)
    note = admin.before_save(session, p, changes, row)
    links = _split_links(admin, changes)
    if "version" in admin.fields:
        changes["version"] = column(admin.model, "version") + 1
    if "updated_at" in admin.fields:
        changes["updated_at"] = utcnow()
    stmt = sa.update(admin.model).where(column(admin.model, "id") == row.id)
    if "version" in admin.fields:
        stmt = stmt.where(column(admin.model, "version") == int(version))
    # One conditional UPDATE: if another save landed first, nothing matches.
    if changes and changed(session, stmt.values(**changes)) != 1:
        raise Conflict("该记录已被他人修改，您的修改未保存。请刷新后重新编辑。")
    many.save(session, admin, row.id, links)
    session.refresh(row)
    stored_files.record(session, admin, row, p.username)
    audit.record(
        session,
        p,
        admin.key,
        row.id,
        "update",
        before=before,
        after=snapshot(session, admin, row),
        summary=f"修改 {admin.row_label(row)}",
    )
    return row, note


def delete(session: Session, admin: type[ModelAdmin], p: Principal | None, ids: list[int]) -> ActionResult:
    p = require(p, DELETE, admin.key)
    result = ActionResult()
    for row_id in ids:
        try:
            row = get_row(session, admin, p, row_id, DELETE)
        except Forbidden as exc:
            result.refused.append((f"#{row_id}", str(exc)))
            continue
        label = admin.row_label(row)
        before = snapshot(session, admin, row)
        try:
            with session.begin_nested():
                many.save(session, admin, row.id, {n: [] for n in admin.many})
                session.delete(row)
                session.flush()
        except sa.exc.IntegrityError:
            result.refused.append((label, "仍被其他数据引用，不能删除"))
            continue
        stored_files.forget(session, admin.model, int(row_id))
        audit.record(session, p, admin.key, row_id, "delete", before=before, summary=f"删除 {label}")
        result.done += 1
    return result


def action_values(action: Action, raw: dict[str, Any]) -> Values:
    """The typed values of an action's ``inputs``; ValidationFailed names each field at fault."""
    values: Values = {}
    errors: Errors = {}
    for spec in action.inputs:
        try:
            values[spec.name] = spec.parse(raw.get(spec.name))
        except FieldError as exc:
            errors[spec.name] = str(exc)
    if errors:
        raise ValidationFailed(errors)
    return values


def not_applicable(admin: type[ModelAdmin], action: Action, rows: list[Any]) -> str:
    """Why ``action`` may not run on ``rows`` (rows already inside the user's scope), naming the rows
    it does not apply to (its ``when``); "" if it applies to every one."""
    out = [(admin.row_label(r), why) for r in rows for why in [action.why_not(r)] if why]
    if not out:
        return ""
    named = "、".join(f"{name}（{why}）" for name, why in out[:3])
    more = f" 等 {len(out)} 条" if len(out) > 3 else ""
    return f"不能执行“{action.label}”：{named}{more}。请刷新后重试"


def run_action(
    session: Session,
    admin: type[ModelAdmin],
    action: Action,
    p: Principal | None,
    ids: list[int] | None = None,
    query: ListQuery | None = None,
    text: str = "",
    raw: dict[str, Any] | None = None,
) -> ActionResult:
    """Run a declared action on chosen ids, or on every row the query matches.

    Refused whole (``Forbidden``, nothing written) if it does not apply to one of them (``when``):
    the list never offers that, so the page is stale or the event forged."""
    p = require(p, f"action:{action.name}", admin.key)
    text = (text or "").strip()[:255]
    if action.input_label and action.input_required and not text:
        raise ValidationFailed({"_input": f"请填写{action.input_label}"})
    values = action_values(action, raw or {}) if action.inputs else {}
    if ids is None:
        ids = matching_ids(session, admin, p, query or ListQuery(), MAX_BULK)
    ids = [int(i) for i in ids]
    found: dict[int, Any] = {}
    pk = column(admin.model, "id")
    for i in range(0, len(ids), 500):  # in bulk: a batch of 5,000 is 10 queries, not 5,000
        batch: list[Any] = list(session.exec(select(admin.model).where(pk.in_(ids[i : i + 500]))).all())
        found.update({r.id: r for r in batch})
    rows: list[Any] = []
    refused: list[tuple[str, str]] = []
    for row_id in ids:
        problem = _row_problem(p, admin, found.get(row_id))
        if problem:
            refused.append((f"#{row_id}", problem))
        else:
            rows.append(found[row_id])
    problem = not_applicable(admin, action, rows)
    if problem:  # the list offers it only where it applies: a stale page, or a forged event
        raise Forbidden(problem)
    was = timeline.states_of(session, admin, [r.id for r in rows])
    result = action.fn(ActionContext(session, p, rows, text, values))
    result.refused = refused + result.refused
    timeline.record_moves(session, admin, p, action, was, text)  # each row's own story
    audit.record(
        session, p, admin.key, None, f"action:{action.name}", summary=f"{action.label}：{result.message('')}"[:255]
    )
    return result
