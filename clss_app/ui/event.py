"""``rx.event`` as the type checker should see it.

``rx.event`` is a class whose ``__new__`` returns the handler's ``EventCallback`` stand-in; mypy only
honours a ``__new__`` that returns the class itself, so it reads every decorated handler as an
``EventNamespace`` and refuses ``State.handler(arg)`` in a page. At run time this is ``rx.event``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVarTuple

import reflex as rx

Ts = TypeVarTuple("Ts")

if TYPE_CHECKING:
    from reflex_base.event import EventCallback

    def event(fn: Callable[[Any, *Ts], Any]) -> EventCallback[*Ts]: ...

else:
    event = rx.event
