"""Runtime settings, read once from the environment.

CLSS_DATABASE_URL  SQLAlchemy URL; default: SQLite file data/clss.db in the project.
CLSS_REDIS_URL     Redis for Reflex's state manager (several workers); default: none.
CLSS_SESSION_HOURS how long a login lasts; default 12.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "data" / "clss.db"


def database_url() -> str:
    return os.environ.get("CLSS_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"


def redis_url() -> str | None:
    return os.environ.get("CLSS_REDIS_URL") or None


SESSION_HOURS = int(os.environ.get("CLSS_SESSION_HOURS", "12"))
MAX_FAILED_LOGINS = 5
LOCKOUT_MINUTES = 15
