"""Every public handler of every state answers a payload of wrong types with a message, never an exception.

Generated from the handlers Reflex has registered, so a new handler (or a new state) is covered
without writing a test. Each payload goes the way Reflex sends it: the app's middleware first
(``event_guard.ArgumentCheck``); if that lets it through, Reflex's own conversion by type hint and
the handler; an exception raised there goes to the app's backend exception handler, as in Reflex.
"""

import asyncio
import contextvars
import inspect
import json
import typing
from concurrent.futures import ThreadPoolExecutor

import pytest
import reflex as rx
from reflex_base.event import Event
from reflex_base.event.processor.base_state_processor import _prepare_event_payload
from reflex_base.registry import RegistrationContext

import clss_app.clss_app  # noqa: F401  (registers every state and handler)
from clss_app import event_guard
from clss_app.admin.state import AdminState
from tests.unit.test_handlers import _run, _state, _token

HANDLERS = sorted(
    (name, reg)
    for name, reg in RegistrationContext.get().event_handlers.items()
    if not reg.states[0].__module__.startswith("reflex")
)
STATES = sorted({reg.states[0].__name__ for _, reg in HANDLERS})
WRONG = [7, 1.5, True, None, {"a": 1}, [1, "x"], "x" * (event_guard.MAX_TEXT + 1)]
ODD_TEXT = ["", "0", "-1", "99999999999999999999", "phone", "__delete__", "1,2", "../x"]  # right type, odd value
ODD_INT = [0, -1, 2**70]


def _in_context(coro):
    """Run ``coro`` on a loop of its own, in this context (Reflex's registry is a context variable)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(contextvars.copy_context().run, asyncio.run, coro).result()


def _says(events, text) -> bool:
    """Whether the answer shows ``text`` (an Event carries it JSON-escaped in its script)."""
    escaped = json.dumps(text)[1:-1]
    return any(
        text in repr(e) or (isinstance(e, Event) and escaped in str(e.payload.get("function", "")))
        for e in events or []
    )


def _arguments(reg):
    fn = reg.handler.fn
    hints = typing.get_type_hints(fn)
    params = list(list(inspect.signature(fn).parameters.values())[1:])
    return [(p.name, hints.get(p.name, typing.Any), p.default is p.empty) for p in params]


def _good(hint):
    """A value of type ``hint``."""
    args = typing.get_args(hint)
    origin = typing.get_origin(hint) or hint
    if type(None) in args:
        return None
    if args and origin not in (list, dict):
        return _good(args[0])
    return {str: "x", int: 1, bool: True, float: 1.0, dict: {}, list: []}.get(origin, "x")


def _plainly_wrong(value, hint) -> bool:
    """A value Reflex would not convert to ``hint`` (for the plain hints that most handlers take)."""
    kinds = {str: (str,), int: (int,), bool: (bool,), dict: (dict,), list: (list,)}
    if hint not in kinds:
        return False
    if hint is int and isinstance(value, bool):
        return True
    return not isinstance(value, kinds[hint]) or (isinstance(value, str) and len(value) > event_guard.MAX_TEXT)


def _payloads(reg):
    """(payload, must the middleware refuse it?) for one handler."""
    arguments = _arguments(reg)
    good = {name: _good(hint) for name, hint, _ in arguments}
    yield good, False
    yield {**good, "unexpected": 1}, True
    for name, hint, required in arguments:
        if required:
            yield {k: v for k, v in good.items() if k != name}, True
        for value in WRONG + {str: ODD_TEXT, int: ODD_INT}.get(hint, []):
            yield {**good, name: value}, _plainly_wrong(value, hint)


def _answer(name, reg, payload, token, admin_key="rooms"):
    """What the client gets: (refused by the middleware?, the events, an unexpected exception or None)."""
    st = _state(reg.states[0], token)
    if isinstance(st, AdminState):
        st.admin_key = admin_key
    root = st._get_root_state()
    update = _in_context(event_guard.ArgumentCheck().preprocess(None, root, Event(name=name, payload=payload)))
    if update is not None:
        return True, update.events, None
    if reg.handler.is_background:  # runs on a state proxy in a task of its own: its checks are its own test's
        return False, [], None
    try:
        out = reg.handler.fn(st, **_prepare_event_payload(reg.handler, payload))
        if inspect.isasyncgen(out):

            async def drain(gen):
                return [e async for e in gen]

            out = _run(drain(out))
        elif inspect.iscoroutine(out):
            out = _run(out)
    except Exception as exc:  # what Reflex hands to the app's backend exception handler
        answer = event_guard.backend_exception(exc)
        return False, [answer], exc if event_guard.UNEXPECTED in repr(answer) else None
    return False, out, None


def test_every_state_of_the_app_is_covered():
    assert {
        "AuthState",
        "AdminState",
        "AdminIOState",
        "DashboardState",
        "WorkbenchState",
        "MarketState",
        "PreviewState",
    } <= set(STATES)
    assert len(HANDLERS) > 60


@pytest.mark.parametrize("state", STATES)
def test_wrong_payloads_get_a_message_and_never_an_exception(demo_db, state):
    token = _token("manager")
    failures = []
    for name, reg in HANDLERS:
        if reg.states[0].__name__ != state:
            continue
        short = name.rsplit(".", 1)[-1]
        for payload, must_refuse in _payloads(reg):
            refused, events, exc = _answer(name, reg, payload, token)
            shown = {k: v if not isinstance(v, str) or len(v) < 20 else f"<{len(v)} chars>" for k, v in payload.items()}
            if exc is not None:
                failures.append(f"{short}({shown}) raised {type(exc).__name__}: {exc}")
            elif must_refuse and not (refused and _says(events, event_guard.INVALID)):
                failures.append(f"{short}({shown}) was not refused")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("state", STATES)
def test_without_a_session_or_a_loaded_list_handlers_answer_too(demo_db, state):
    failures, manager = [], _token("manager")
    for name, reg in HANDLERS:
        if reg.states[0].__name__ != state:
            continue
        good = next(_payloads(reg))[0]
        for token, admin_key in (("", "rooms"), (manager, "")):
            _, _, exc = _answer(name, reg, good, token, admin_key)
            if exc is not None:
                failures.append(
                    f"{name.rsplit('.', 1)[-1]} (token {bool(token)}, list {admin_key!r}) raised "
                    f"{type(exc).__name__}: {exc}"
                )
    assert not failures, "\n".join(failures)


def test_the_generic_setter_is_refused():
    """Reflex's setvar would reach any handler named set_* with one argument, past its signature."""
    name = next(n for n, reg in HANDLERS if n.endswith(".setvar") and reg.states[0] is AdminState)
    assert event_guard.problem(name, {"var_name": "page_size", "value": "100000"})


def test_reflex_conversions_are_judged_by_what_reaches_the_handler():
    name = next(n for n, _ in HANDLERS if n.endswith("workbench_state.click_tile"))
    assert not event_guard.problem(name, {"room_id": "12", "status": "vacant"})  # Reflex makes it 12
    assert event_guard.problem(name, {"room_id": "12a", "status": "vacant"})  # Reflex would pass "12a" on
    assert event_guard.problem(name, {"room_id": True, "status": "vacant"})
    points = next(n for n, _ in HANDLERS if n.endswith("dashboard_state.open_point"))
    assert not event_guard.problem(points, {"chart": "c", "points": [{"curveNumber": 0, "pointNumber": 1}]})
    assert event_guard.problem(points, {"chart": "c", "points": ["x"]})
    assert event_guard.problem(points, {"chart": "c", "points": [{}] * (event_guard.MAX_ITEMS + 1)})


def test_an_unexpected_error_is_logged_and_told_in_chinese(caplog):
    answer = event_guard.backend_exception(KeyError("boom"))
    assert event_guard.UNEXPECTED in repr(answer) and "An error occurred" not in repr(answer)
    assert "boom" in caplog.text
    assert isinstance(event_guard.backend_exception(ValueError()), rx.event.EventSpec)
