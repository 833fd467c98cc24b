"""Runtime settings, read once from the environment.

CLSS_DATABASE_URL  SQLAlchemy URL; default: SQLite file data/clss.db in the project.
CLSS_REDIS_URL     Redis for Reflex's state manager (several workers); default: none.
CLSS_SESSION_HOURS how long a login lasts at most; default 12.
CLSS_IDLE_MINUTES  a login ends after this long without any activity; default 30.
CLSS_ALLOWED_ORIGINS other origins (comma-separated, e.g. https://admin.example.com) whose pages may
                   open the websocket or call the app cross-origin; the app's own origin always may.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "data" / "clss.db"


def database_url() -> str:
    return os.environ.get("CLSS_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"


def allowed_origins() -> frozenset[str]:
    return frozenset(o.strip().rstrip("/") for o in os.environ.get("CLSS_ALLOWED_ORIGINS", "").split(",") if o.strip())


def redis_url() -> str | None:
    return os.environ.get("CLSS_REDIS_URL") or None


SESSION_HOURS = int(os.environ.get("CLSS_SESSION_HOURS", "12"))
IDLE_MINUTES = int(os.environ.get("CLSS_IDLE_MINUTES", "30"))

# Failed logins are counted per (typed username, client address), per username and per address. Past
# its free failures a counter makes the next attempt wait, from 15 s doubling up to 15 minutes; a counter
# forgets after an hour without failures. One address adds at most LOGIN_FREE_PER_PAIR failures to a
# username's own counter, so an attacker on one address never slows the real user on another.
LOGIN_FREE_PER_PAIR = 5
LOGIN_FREE_PER_USERNAME = 20
LOGIN_FREE_PER_ADDRESS = 30
LOGIN_FIRST_DELAY_SECONDS = 15
LOGIN_MAX_DELAY_MINUTES = 15
LOGIN_FORGET_MINUTES = 60
# The last resort: this many failures on a username's counter lock a real account outright for a while
# (lifted by a system admin's 解锁账号 or `python -m clss_app.manage unlock-user <name>`).
LOGIN_LOCK_AFTER = 100
LOGIN_LOCK_MINUTES = 60

# The tenant APP's API (clss_app/api): an SMS login code lasts SMS_CODE_MINUTES and takes
# SMS_CODE_ATTEMPTS wrong tries; a phone gets SMS_CODES_PER_HOUR codes an hour and one client address
# CLSS_SMS_CODES_PER_IP_HOUR (against cycling through numbers); a token lasts API_TOKEN_DAYS and makes
# CLSS_API_PER_MINUTE requests a minute (both read at each request: tests and benchmarks, all on one
# address, raise them); a list page holds at most API_PAGE_MAX rows. The nightly job forgets used
# codes, dead tokens after API_FORGET_DAYS and idempotent answers after IDEMPOTENCY_DAYS (a retry comes
# within minutes).
SMS_CODE_MINUTES = 5
SMS_CODE_ATTEMPTS = 5
SMS_CODES_PER_HOUR = 5
API_TOKEN_DAYS = 30
API_PAGE_MAX = 100
API_FORGET_DAYS = 30
IDEMPOTENCY_DAYS = 7


def api_per_minute() -> int:
    return int(os.environ.get("CLSS_API_PER_MINUTE") or 120)


def sms_codes_per_ip_hour() -> int:
    return int(os.environ.get("CLSS_SMS_CODES_PER_IP_HOUR") or 60)
