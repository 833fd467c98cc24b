"""The generator covers every public handler: one it cannot build cases for fails here, by name,
instead of being skipped. No app server needed."""

from __future__ import annotations

import pytest

from tests.security import forge


class _Facts:
    """Stands in for the database: every table has rows, every row is outside the caller's scope."""

    def any_id(self, table):
        return 1

    def outside(self, table, where=None, prefer=""):
        return forge.Row(1, "某行", {})

    def missing_id(self, table):
        return 10**9


HANDLERS = forge.all_handlers()


def test_every_project_state_and_its_handlers_are_found():
    names = {s.__name__ for s in forge.project_states()}
    assert {"AuthState", "AdminState", "AdminIOState", "WorkbenchState"} <= names
    found = {h.qualname for h in HANDLERS}
    for state in forge.project_states():
        for name, handler in state.event_handlers.items():
            if handler.fn.__module__.split(".")[0] in forge.PROJECT_MODULES or name == forge.SETVAR:
                assert f"{state.__name__}.{name}" in found, f"{state.__name__}.{name} is not forged"


@pytest.mark.parametrize("h", HANDLERS, ids=[h.qualname for h in HANDLERS])
def test_the_generator_builds_every_case_of(h):
    """Arguments for each of its pages, every wrong type, and a table behind every id it takes."""
    try:
        if h.problem:
            raise forge.Unsupported(h.problem)
        pages = forge.pages_of(h.state)
        for page in pages:
            assert forge.valid_args(h, page, _Facts()), f"{h.qualname}: no arguments on {page.key}"
        assert forge.type_cases([h], pages[0])
        for p in h.params:
            if p.name == "row_id" or p.name.endswith("_id"):
                tables = {forge.model_table(p.name, page) for page in pages} - {None}
                assert tables, (
                    f"{h.qualname}: cannot tell which table {p.name} points at; name it after the "
                    "table (<table>_id) or teach forge.model_table"
                )
    except forge.Unsupported as exc:
        pytest.fail(
            f"{h.qualname}: the generator cannot build its cases: {exc}. Teach tests/security/forge.py "
            "(TYPE_DEFAULTS / NAMED for a parameter, pages_of for a state)"
        )


def test_every_handler_acting_on_a_selection_is_forged_with_one():
    """A handler that reads what earlier events picked (not an id of its own) must be reached by the
    out-of-scope cases: listed in a selection flow (how to pick a row, then call it), or as one that
    only picks from the page itself."""
    missing = [h.qualname for h in HANDLERS if forge.reads_selection(h) and not forge.covered_reader(h)]
    assert not missing, (
        f"{', '.join(missing)} act on a selection the suite does not forge: add them to "
        "forge.SELECTION (or forge.SELECTORS if they only pick the page's own rows)"
    )


def test_an_unknown_parameter_type_is_reported_not_skipped():
    h = forge.Handler(HANDLERS[0].state, "made_up", (forge.Param("ratio", complex, True),), False)
    with pytest.raises(forge.Unsupported, match="ratio"):
        forge.valid_args(h, forge.pages_of(h.state)[0], _Facts())
    with pytest.raises(forge.Unsupported, match="ratio"):
        forge.type_cases([h], forge.pages_of(h.state)[0])
