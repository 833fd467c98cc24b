"""Runtime settings, read once from the environment.

CLSS_DATABASE_URL  SQLAlchemy URL; default: SQLite file data/clss.db in the project.
CLSS_REDIS_URL     Redis for Reflex's state manager (several workers); default: none.
CLSS_SESSION_HOURS how long a login lasts; default 12.
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
MAX_FAILED_LOGINS = 5
LOCKOUT_MINUTES = 15
