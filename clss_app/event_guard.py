"""Every event a browser sends is checked against its handler's signature before the handler runs.

Any client can send any event with any payload over the websocket (or in an upload's form
fields). Handlers check role, data scope and their declarations themselves; this checks what
Python would otherwise find out halfway through a handler as a TypeError: unknown or missing
arguments, a dict where a str is declared, a string of megabytes. Such an event is answered
with a toast and never reaches its handler.

It checks what Reflex would hand to the handler: Reflex first converts some payloads by type
hint (a "5" for an ``int``) and, when that fails, silently passes the raw payload on; here a
failed conversion is a refusal. Reflex's own states (hydration and the like) are left to Reflex.
"""

from __future__ import annotations

import functools
import inspect
import logging
import types
import typing

import reflex as rx
from reflex.middleware import Middleware
from reflex.state import StateUpdate
from reflex.utils.types import get_type_hints
from reflex_base.event import Event, EventSpec
from reflex_base.registry import RegistrationContext

from clss_app.compat import transform_event_payload
from clss_app.services.permissions import Forbidden, NotLoggedIn

log = logging.getLogger(__name__)

INVALID = "请求参数无效"
UNEXPECTED = "操作失败，请稍后重试或联系管理员"
MAX_TEXT = 100_000  # characters in one string
MAX_ITEMS = 1_000  # items in one list or dict
MAX_DEPTH = 6
MAX_INT = 2**53  # what a browser's numbers hold exactly; beyond it no id or count of this app


def refusal(message: str = INVALID):
    """How a handler answers a request it will not carry out."""
    return rx.toast.error(message, position="top-center")


def _plain(value, depth: int) -> bool:
    """A JSON value within the limits (what an argument typed ``Any`` or a bare ``dict`` may hold)."""
    if value is None or isinstance(value, (bool, float)):
        return True
    if isinstance(value, int):
        return abs(value) <= MAX_INT
    if isinstance(value, str):
        return len(value) <= MAX_TEXT
    if depth >= MAX_DEPTH:
        return False
    if isinstance(value, list):
        return len(value) <= MAX_ITEMS and all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return len(value) <= MAX_ITEMS and all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    return False


def fits(value, hint, depth: int = 0) -> bool:
    """Whether ``value`` is of type ``hint`` (containers item by item) and within the limits."""
    if hint is typing.Any or hint is inspect.Parameter.empty:
        return _plain(value, depth)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(fits(value, a, depth) for a in args)
    if hint is None or hint is type(None):
        return value is None
    container = origin or hint
    if container in (list, tuple, set, frozenset):
        return (
            isinstance(value, container)
            and len(value) <= MAX_ITEMS
            and depth < MAX_DEPTH
            and all(fits(v, args[0] if args else typing.Any, depth + 1) for v in value)
        )
    if container is dict:
        key, item = args or (str, typing.Any)
        return (
            isinstance(value, dict)
            and len(value) <= MAX_ITEMS
            and depth < MAX_DEPTH
            and all(fits(k, key, depth + 1) and fits(v, item, depth + 1) for k, v in value.items())
        )
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INT
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str) and len(value) <= MAX_TEXT
    return isinstance(hint, type) and isinstance(value, hint)


@functools.cache
def _signature(name: str) -> tuple[dict, frozenset, bool]:
    """(type hints, required argument names, takes **kwargs) of the handler registered as ``name``."""
    handler = RegistrationContext.get().event_handlers[name].handler
    params = list(inspect.signature(handler.fn).parameters.values())[1:]  # less self
    hints = get_type_hints(handler.fn)
    named = {
        p.name: hints.get(p.name, typing.Any) for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    required = frozenset(p.name for p in params if p.name in named and p.default is p.empty)
    return named, required, any(p.kind == p.VAR_KEYWORD for p in params)


def problem(name: str, payload) -> str:
    """Why the event ``name`` may not run with ``payload`` ("" if it may), for the log (never the values)."""
    if name.rsplit(".", 1)[-1] == "setvar":
        # Reflex's generic setter would reach any handler named set_*: the app sets state through
        # its own handlers only.
        return "setvar is not used by this app"
    if not isinstance(payload, dict):
        return "payload is not an object"
    hints, required, open_ended = _signature(name)
    if missing := required - payload.keys():
        return f"missing {sorted(missing)}"
    if not open_ended and (unknown := payload.keys() - hints.keys()):
        return f"unknown {sorted(unknown)[:5]}"
    try:
        converted = transform_event_payload(payload, hints)
    except ValueError as exc:
        return f"not convertible: {str(exc).split(' with value ')[0]}"
    for arg, value in converted.items():
        if arg in hints and not fits(value, hints[arg]):
            return f"{arg} is not {hints[arg]} (or too long)"
    return ""


def _is_app_state(state_cls) -> bool:
    return not state_cls.__module__.startswith("reflex")


class ArgumentCheck(Middleware):
    """Answers an event whose payload does not fit its handler with a toast, instead of running it."""

    async def preprocess(self, app, state, event: Event) -> StateUpdate | None:
        registered = RegistrationContext.get().event_handlers.get(event.name)
        if registered is None or not _is_app_state(registered.states[0]):
            return None
        why = problem(event.name, event.payload)
        if not why:
            return None
        log.warning("refused event %s: %s", event.name, why)
        return StateUpdate(events=Event.from_event_type(refusal()))


def backend_exception(exception: Exception) -> EventSpec | None:
    """What the user sees when a handler raised: a refusal says why; anything else is logged.

    (Reflex reads this signature: the annotations must stay ``Exception`` and ``EventSpec | None``.)"""
    if isinstance(exception, NotLoggedIn):
        return rx.call_script("window.location.assign('/login/?next=' + encodeURIComponent(location.pathname))")
    if isinstance(exception, Forbidden):
        return refusal(str(exception))
    log.error("事件处理失败", exc_info=exception)
    return refusal(UNEXPECTED)
