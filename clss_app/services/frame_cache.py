"""A bulk read kept in memory for reports, and what was worked out from it, per key (scope, filters).

经营看板 (services/analytics.py) and 收费报表 (services/fee_reports.py) read large tables once and then
answer every filter from memory: one read serves every scope (each answer keeps only its own
projects); it is dropped as soon as this process commits a write to a table it read (``db.generation``)
and after ``ttl`` seconds in any case (writes by other workers). A look after that gets the last answer
marked stale while a thread reads again, so a million-row read is paid once, never on a refresh.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from clss_app import db


@dataclass
class _Entry:
    generation: tuple
    loaded: float  # when its read began
    frames: Any
    results: OrderedDict = field(default_factory=OrderedDict)


class FrameCache:
    def __init__(
        self,
        tables: tuple[str, ...],
        load: Callable[[Session], Any],
        ttl: float = 60.0,
        max_results: int = 256,
    ):
        self.tables, self.load, self.ttl, self.max_results = tables, load, ttl, max_results
        self.max_age = 10 * ttl  # older than this, a look waits for a new read rather than show figures of hours ago
        self.stats = {"frame_loads": 0, "results": 0}
        self._entry: _Entry | None = None
        self._reading: threading.Thread | None = None
        self._epoch = 0  # bumped by clear: a read started before it must not store its frames after it
        self._lock = threading.Lock()

    def get(self, session: Session, key: Hashable, work: Callable[[Any], Any]) -> tuple[Any, bool]:
        """(``work(frames)``, stale): memoised under ``key`` for the read it was worked out from."""
        gen = db.generation(*self.tables)  # taken before reading: a commit during the read makes it stale
        with self._lock:
            entry = self._entry
            usable = entry is not None and time.monotonic() - entry.loaded <= self.max_age
            if not usable or not self._fresh(entry, gen):
                self._start_reading()
            reading = self._reading
        if not usable and reading is not None:
            reading.join(120)
            with self._lock:
                entry = self._entry
                if entry is not None and not self._fresh(entry, gen):
                    self._start_reading()  # a write landed while it read
        if entry is None:  # the background read failed: once more here, to raise its error
            entry = self._read(session, gen)
            self._store(entry, self._epoch)
        with self._lock:
            hit = entry.results.get(key, _MISSING)
        if hit is _MISSING:
            hit = work(entry.frames)
            self.stats["results"] += 1
            with self._lock:
                entry.results[key] = hit
                while len(entry.results) > self.max_results:
                    entry.results.popitem(last=False)
        return hit, not self._fresh(entry, gen)

    def warm(self) -> None:
        """Read in the background now (the app's start), so that the first look finds the frames."""
        with self._lock:
            if self._entry is None:
                self._start_reading()

    def wait(self, timeout: float = 120.0) -> None:
        """Until the background read under way, if any, is done (tests, benchmarks)."""
        with self._lock:
            reading = self._reading
        if reading is not None:
            reading.join(timeout)

    def clear(self) -> None:
        with self._lock:
            self._entry, self._epoch = None, self._epoch + 1

    def _fresh(self, entry: _Entry | None, gen: tuple) -> bool:
        return entry is not None and entry.generation == gen and time.monotonic() - entry.loaded <= self.ttl

    def _start_reading(self) -> None:  # under _lock
        if self._reading is None:
            self._reading = threading.Thread(target=self._read_in_background, args=(self._epoch,), daemon=True)
            self._reading.start()

    def _read(self, session: Session, gen: tuple) -> _Entry:
        entry = _Entry(gen, time.monotonic(), self.load(session))
        self.stats["frame_loads"] += 1
        return entry

    def _store(self, entry: _Entry, epoch: int) -> None:
        with self._lock:
            if epoch == self._epoch and (self._entry is None or self._entry.loaded <= entry.loaded):
                self._entry = entry  # never an older read over a newer one

    def _read_in_background(self, epoch: int) -> None:
        try:
            gen = db.generation(*self.tables)
            with db.session_scope() as s:
                self._store(self._read(s, gen), epoch)
        finally:
            with self._lock:
                self._reading = None


_MISSING = object()
