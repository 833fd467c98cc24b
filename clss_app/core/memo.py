"""A cache that lives exactly as long as one import's dry run (the engine opens and closes it)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlmodel import Session

IMPORT_MEMO = "clss_import_memo"
T = TypeVar("T")


def memo(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, remembered for the rest of a running import's dry run (else computed each time).

    Lets a validation hook look up, say, its project once per file instead of once per row,
    without ever serving a stale answer to a form.
    """
    cache = session.info.get(IMPORT_MEMO)
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    value: T = cache[key]
    return value
