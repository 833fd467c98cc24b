"""Forged events over the socket against the real app: every public handler of every state, with no
session, with a role that may not use the page (or not do the action), with ids of rows outside the
caller's scope, and with wrong-typed arguments. The cases come from the registered states
(forge.py); each one is judged on what came back, the database's change journal and the app's log
(harness.judge). A failure lists every failing case: handler, case, payload, what was seen.
"""

from __future__ import annotations

import pytest

from clss_app.services.permissions import CREATE, DELETE, EXPORT, IMPORT, UPDATE, VIEW
from clss_app.site import app_site
from tests.security import forge
from tests.security.conftest import failures
from tests.security.facts import OUTSIDER

PAGES = forge.pages()


def _handlers(page: forge.Page, open_too: bool = True) -> list[forge.Handler]:
    """The page's handlers the generator can forge (test_generator fails for any other, by name)."""
    return [h for s in forge.states_on(page) for h in forge.handlers(s) if not h.problem and (open_too or not h.open)]


def _check(outcomes, who) -> None:
    problems = failures(outcomes, who)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("key", list(PAGES))
def test_no_session(attack, key):
    """Without a session every handler sends the caller to log in (or does nothing) and shows nothing."""
    page = PAGES[key]
    cases = forge.plain_cases("no_session", _handlers(page), page, attack.facts, expand=False)
    _check(attack.run(cases, page, None), None)


@pytest.mark.parametrize("key", list(PAGES))
def test_wrong_role(attack, key):
    """Logged in with a role that may not open the page: every handler refuses and shows nothing."""
    page = PAGES[key]
    facts = attack.facts
    who = facts.account(lambda role: not facts_may_role(role, key))
    if who is None:
        pytest.skip(f"every role may open {page.label}")
    cases = forge.plain_cases("wrong_role", _handlers(page, open_too=False), page, facts)
    _check(attack.run(cases, page, who), who)


def facts_may_role(role, key) -> bool:
    from clss_app.services.permissions import roles_for

    return role in roles_for(key, VIEW)


@pytest.mark.parametrize("key", [a.key for a in app_site().admins()])
def test_action_role(attack, key):
    """A role that may view a list but not create, edit, delete, export, import or run an action there:
    each one forged anyway is refused and changes nothing."""
    page, admin, facts = PAGES[key], app_site().admin(key), attack.facts
    perms = [CREATE, UPDATE, DELETE, EXPORT, IMPORT] + [f"action:{a.name}" for a in admin.actions]
    viewers = [
        n
        for n in ("assistant", "manager", "multistore", "principal", "finance", "sysadmin", "super", OUTSIDER)
        if n in facts.principals and facts.may(n, VIEW, key)
    ]
    done, outcomes = set(), []
    for who in viewers:
        lacks = [p for p in perms if p not in done and not facts.may(who, p, key)]
        if not lacks:
            continue
        cases = forge.permission_cases(_handlers(page, open_too=False), page, lacks, facts.inside(key, who))
        done.update(lacks)
        if cases:
            problems = failures(attack.run(cases, page, who), who)
            outcomes += problems
    if not done:
        pytest.skip(f"every role that may view {page.label} may also do everything there")
    assert not outcomes, "\n".join(outcomes)


SCOPED = [
    k
    for k in PAGES
    if any(
        s.__name__ in forge.SELECTION
        or any(
            p.name == "row_id" or p.name.endswith("_id") or p.name == "name"
            for h in forge.handlers(s)
            for p in h.params
        )
        for s in forge.states_on(PAGES[k])
        if s.__name__ != "AuthState"
    )
]


@pytest.mark.parametrize("key", SCOPED)
def test_out_of_scope(attack, key):
    """Logged in as store2 (燕园), with ids of other companies' rows (and, for comparison, of no row):
    every handler taking an id, picking or acting on a selection, or setting a reference into the
    caller's own form refuses alike, changes nothing and shows nothing of those rows."""
    page, facts = PAGES[key], attack.facts
    edit_row = facts.inside(key, OUTSIDER) if key in app_site() and facts.may(OUTSIDER, UPDATE, key) else None
    hs = [h for h in _handlers(page) if h.state.__name__ != "AuthState"]
    cases = []
    for state in dict.fromkeys(h.state for h in hs):
        cases += forge.scope_cases([h for h in hs if h.state is state], page, facts, edit_row)
    if not cases:
        pytest.skip(f"nothing on {page.label} takes a row of a scoped table")
    _check(attack.run(cases, page, OUTSIDER), OUTSIDER)


STATES = list(forge.project_states())


@pytest.mark.parametrize("state", STATES, ids=[s.__name__ for s in STATES])
def test_wrong_types(attack, state):
    """Every parameter of every handler with each wrong type (int, str, dict, list, None, a 100 kB
    string, negative numbers), each one missing, and one too many: a wrong one is answered with a
    Chinese message, an odd but well-typed one with anything but an error; nothing breaks."""
    facts = attack.facts
    hs = [h for h in forge.handlers(state) if not h.problem]
    pages = forge.pages_of(state)
    # Each case on one page of the state (AdminState lives on 43 lists): the state's largest list
    # gets them all, the others share them out in turn.
    sizes = {p.key: facts.size(app_site().admin(p.key)) if p.key in app_site() else 0 for p in pages}
    pages.sort(key=lambda p: (-sizes[p.key], p.key))
    problems = []
    for open_ in (False, True):
        group = [h for h in hs if h.open == open_]
        if not group:
            continue
        cases = forge.type_cases(group, pages[0])
        plan: dict[str, list] = {p.key: [] for p in pages}
        others = pages[1 : max(2, min(len(pages), len(cases) // 8 + 1))]
        for i, case in enumerate(cases):
            plan[pages[0].key].append(case)
            if others:
                other = others[i % len(others)]
                plan[other.key].append(_on(case, pages[0], other))
        for key, chunk in plan.items():
            page = next(p for p in pages if p.key == key)
            who = None if open_ else facts.account(lambda role, k=key: facts_may_role(role, k))
            if not chunk or (not open_ and who is None):
                continue
            problems += failures(attack.run(chunk, page, who, tab_per_handler=True), who)
    assert not problems, "\n".join(problems)


def _on(case: forge.Case, home: forge.Page, page: forge.Page) -> forge.Case:
    """The same case on another page: a ``key`` argument that named the case's own page names that
    one (a forged ``key``, the very value under test, stays as it is)."""
    steps = [
        forge.Step(s.event, {k: (page.key if k == "key" and v == home.key else v) for k, v in s.payload.items()})
        for s in case.steps
    ]
    return forge.Case(case.kind, case.handler, steps, note=case.note)


def test_the_suite_sees_what_it_judges(attack):
    """The judge's senses work: a permitted answer carries the row it opened (so a leaked one would
    be seen), a refusal is read as a message, and the journal records a write made to any table."""
    from sqlmodel import Session, select

    from models import CityParam, Room

    page, facts = PAGES["rooms"], attack.facts
    hs = {h.name: h for h in _handlers(page)}
    mine, theirs = facts.inside("rooms", OUTSIDER), facts.outside("room")
    with Session(facts.engine) as s:
        number = s.get(Room, mine).number
    cases = [
        forge.Case("control", hs["open_detail"], [forge.step(hs["open_detail"], {"row_id": str(i)})])
        for i in (mine, theirs.id)
    ]
    opened, refused = attack.run(cases, page, OUTSIDER)
    assert opened.reply.var("detail_title") == number and number in opened.reply.text(), opened.reply.summary()
    assert any(forge_cjk(m) for m in refused.reply.messages()), refused.reply.summary()
    journal = attack.journal
    mark = journal.mark()
    with Session(journal.engine) as s:
        row_id, value = s.exec(select(CityParam.id, CityParam.value).order_by(CityParam.id)).first()
        s.execute(CityParam.__table__.update().where(CityParam.id == row_id).values(value=value))
        s.commit()
    assert ("city_param", "update", str(row_id)) in journal.since(mark)


def forge_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
