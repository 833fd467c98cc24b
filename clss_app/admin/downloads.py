"""Private files handed out once: a ticket issued after the permission check.

Reflex's upload folder is public, so exports are written to data/private and
served by ``/_clss/download/<ticket>``: the ticket is random, bound to the
user who asked, valid for a few minutes and only once.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from sqlmodel import Session, select
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from clss_app import db, settings
from models import DownloadTicket, utcnow

PRIVATE_DIR = settings.ROOT / "data" / "private"
TICKET_MINUTES = 10
MEDIA_TYPES = {".csv": "text/csv; charset=utf-8", ".pdf": "application/pdf", ".png": "image/png",
               ".jpg": "image/jpeg",
               ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
ROUTE = "/_clss/download"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, user_id: int, data: bytes, filename: str) -> str:
    """Store ``data`` privately and return the one-time URL for it."""
    PRIVATE_DIR.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    path = PRIVATE_DIR / f"{_hash(token)[:32]}{Path(filename).suffix}"
    path.write_bytes(data)
    session.add(DownloadTicket(token_hash=_hash(token), user_id=user_id, path=str(path), filename=filename,
                               expires_at=utcnow() + timedelta(minutes=TICKET_MINUTES)))
    return f"{ROUTE}/{token}"


def redeem(session: Session, token: str) -> DownloadTicket | None:
    """The ticket if it is live; it is spent by this call."""
    if not token or len(token) > 100:
        return None
    t = session.exec(select(DownloadTicket).where(DownloadTicket.token_hash == _hash(token))).first()
    if t is None or t.used_at is not None or t.expires_at <= utcnow() or not Path(t.path).exists():
        return None
    t.used_at = utcnow()
    session.add(t)
    return t


async def download(request):
    with db.session_scope() as s:
        ticket = redeem(s, request.path_params["token"])
    if ticket is None:
        return PlainTextResponse("下载链接无效或已过期，请重新导出。", status_code=404)
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(ticket.filename)}",
               "Cache-Control": "no-store"}
    # One use only: read, delete, send. (A FileResponse would race its own deletion:
    # granian streams the path after the handler returned.)
    path = Path(ticket.path)
    data = path.read_bytes()
    path.unlink(missing_ok=True)
    media = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    return Response(data, media_type=media, headers=headers)


def routes() -> list[Route]:
    from clss_app.admin import media
    return [Route(ROUTE + "/{token}", download), Route(media.ROUTE + "/{name}", media.serve)]
