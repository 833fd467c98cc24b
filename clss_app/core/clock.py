"""The one clock: ``now()`` is aware UTC, ``today()`` the business day in Asia/Shanghai.

On a UTC server the business day differs from the server's date every day from 16:00 to 24:00 UTC,
so nothing reads ``date.today()``. The functions live in ``models.base`` so that column defaults
(created_at, signed_on, paid_on) read the same clock; tests move it with time-machine.
"""

from __future__ import annotations

from models.base import SHANGHAI, shanghai_today, utcnow

now = utcnow
today = shanghai_today

__all__ = ["SHANGHAI", "now", "today"]
