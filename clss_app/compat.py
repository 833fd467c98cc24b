"""What leans on a library's internals, in one place, with the versions it was written for.

An upgrade of one of these libraries may break an entry without any test noticing at once (a worker
that dies, an event checked by the wrong rules), so ``tests/unit/test_compat.py`` fails as soon as
an installed version differs from ``WRITTEN_FOR`` and names what to re-check (``RECHECK``). Re-check,
then set the new version here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar, TypeVarTuple, overload

import reflex as rx

if TYPE_CHECKING:
    from reflex.event import EventCallback, FileUpload
    from reflex.vars import ObjectVar

WRITTEN_FOR = {"reflex": "0.10.1", "reflex-base": "0.10.1", "granian": "2.8.9"}

RECHECK = {
    "granian": [
        "respawn_crashed_workers: AbstractServer.__init__ (granian.server.common) still takes "
        "respawn_failed_workers, and Reflex still does not pass it (kill one of several workers: the "
        "others must go on serving and a new one must start).",
    ],
    "reflex": [
        "event: a handler decorated with rx.event still reads to mypy as EventNamespace, not as an "
        "EventCallback (if Reflex's own typing works now, use rx.event again and delete this).",
        "upload_event: an EventCallback still takes an upload spec (rx.upload_files) only as its sole "
        "argument, not next to a bound one (if it does, call the handler directly and delete this).",
        "MapField: mypy still reads rx.Field[dict[...]] on a state class as an ArrayVar, not an ObjectVar "
        "(if not, declare dict vars as rx.Field again and delete this).",
        "rxconfig's REFLEX_OPLOCK_ENABLED: the lost wake-up on the Redis lock it avoids "
        "(benchmarks/ws_client.py with 3 workers on Redis).",
        "run_here: an EventSpec still holds its handler (state_full_name, fn) and its bound arguments as "
        "(name, LiteralVar) pairs, and get_full_name still names a state class as the handler does.",
    ],
    "reflex-base": [
        "transform_event_payload: reflex_base.event.processor.base_state_processor._transform_event_payload "
        "still converts a payload by the handler's hints as Reflex does before calling it (event_guard).",
    ],
}


def respawn_crashed_workers() -> None:
    """Granian stops the whole server when one worker dies unless told to respawn it, and Reflex
    does not pass that option: a crashed worker would take every other worker's users down."""
    try:
        from granian.server.common import AbstractServer
    except ImportError:
        return
    init = AbstractServer.__init__
    if init.__module__ == __name__:  # installed already: Reflex reads rxconfig more than once
        return

    def respawning(self: AbstractServer, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("respawn_failed_workers", True)
        init(self, *args, **kwargs)

    setattr(AbstractServer, "__init__", respawning)  # noqa: B010 (replacing a method: mypy refuses the assignment)


def transform_event_payload(payload: Mapping[str, Any], hints: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments a handler receives: Reflex converts some payloads by type hint ("5" for an int).
    Raises ValueError where Reflex would give up converting and pass the raw payload on."""
    from reflex_base.event.processor.base_state_processor import _transform_event_payload

    return _transform_event_payload(payload, hints)


Ts = TypeVarTuple("Ts")

if TYPE_CHECKING:
    # rx.event is a class whose __new__ returns the handler's EventCallback; mypy ignores a __new__
    # that returns another type and reads every handler as an EventNamespace, so that neither
    # `S.save(...)` in a component nor `return S.load_count` type-checks. Same function, typed.
    @overload
    def event(fn: Callable[[Any, *Ts], Any], /) -> EventCallback[*Ts]: ...
    @overload
    def event(*, background: bool = ...) -> Callable[[Callable[[Any, *Ts], Any]], EventCallback[*Ts]]: ...
    def event(*args: Any, **kwargs: Any) -> Any: ...
else:
    event = rx.event


M = TypeVar("M", bound=Mapping[str, Any])

if TYPE_CHECKING:
    # A dict var of a state: rx.Field[dict[...]] read on the class should be an ObjectVar (S.perms["update"],
    # S.filters.contains(name)), but mypy matches it to Field.__get__'s ArrayVar overload. Same field, typed.
    class MapField(Generic[M]):
        @overload
        def __get__(self, instance: None, owner: Any) -> ObjectVar[M]: ...
        @overload
        def __get__(self, instance: object, owner: Any) -> M: ...
        def __get__(self, instance: Any, owner: Any) -> Any: ...
        def __set__(self, instance: Any, value: M) -> None: ...

    def map_field(default_factory: Callable[[], M]) -> MapField[M]: ...
else:
    MapField = rx.Field

    def map_field(default_factory):
        return rx.field(default_factory=default_factory)


def upload_event(handler: EventCallback[list[rx.UploadFile], str], upload: FileUpload, arg: str) -> EventCallback[()]:
    """``handler(upload, arg)``: the files of an upload and one bound argument. Reflex passes the files
    there at run time, but types an upload spec only as a handler's sole argument."""
    files: Any = upload
    return handler(files, arg)


@cache
def _state_class(full_name: str) -> type[rx.State]:
    """The state class of that full name (Reflex's own lookup needs its registration context, which an
    event's task does not always carry)."""
    stack: list[type[rx.State]] = [rx.State]
    while stack:
        cls = stack.pop()
        if cls.get_full_name() == full_name:
            return cls
        stack.extend(cls.__subclasses__())
    raise LookupError(full_name)


async def run_here(state: rx.State, spec: Any) -> tuple[bool, Any]:
    """Run ``spec`` (an EventSpec or EventHandler of a state in ``state``'s tree, with literal arguments)
    inside the event being handled, instead of returning it: a returned event goes to the browser and
    comes back, a round trip more. (True, what it returned), or (False, None) for a handler that yields
    or runs in the background, which must stay an event of its own."""
    handler = getattr(spec, "handler", spec)
    fn = handler.fn
    if getattr(handler, "is_background", False) or inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
        return False, None
    args = [getattr(value, "_var_value", None) for _, value in getattr(spec, "args", ())]
    target = await state.get_state(_state_class(handler.state_full_name))
    result = fn(target, *args)
    if inspect.isawaitable(result):
        result = await result
    return True, result
