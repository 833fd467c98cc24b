"""Private files handed out once: a ticket issued after the permission check.

Reflex's upload folder is public, so exports are written to data/private and
served by ``/_clss/download/<ticket>``: the ticket is random, bound to the
login session that asked, valid for a few minutes and only once. It is refused
once that session is revoked, expired or idle, and from any browser that does
not hold the session's download key (a cookie set at login): a copied link is
useless elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from sqlmodel import Session, select
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from clss_app import db, settings
from clss_app.core import media
from clss_app.core.rows import changed
from clss_app.services import auth
from clss_app.services.permissions import NotLoggedIn, Principal
from models import DownloadTicket, utcnow

PRIVATE_DIR = settings.ROOT / "data" / "private"
TICKET_MINUTES = 10
MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
ROUTE = "/_clss/download"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, p: Principal, data: bytes, filename: str) -> str:
    """Store ``data`` privately and return the one-time URL for it, for p's session only."""
    if p.session_id is None:
        raise NotLoggedIn()
    PRIVATE_DIR.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    path = PRIVATE_DIR / f"{_hash(token)[:32]}{Path(filename).suffix}"
    path.write_bytes(data)
    session.add(
        DownloadTicket(
            token_hash=_hash(token),
            user_id=p.user_id,
            session_id=p.session_id,
            path=str(path),
            filename=filename,
            expires_at=utcnow() + timedelta(minutes=TICKET_MINUTES),
        )
    )
    return f"{ROUTE}/{token}"


def redeem(session: Session, token: str, key: str | None) -> DownloadTicket | None:
    """The ticket if it is live, its session too and ``key`` is that session's download key; it is
    spent by this call (once, even when two requests race). A refused ticket stays unspent."""
    if not token or len(token) > 100 or not key or len(key) > 100:
        return None
    now = utcnow()
    t = session.exec(select(DownloadTicket).where(DownloadTicket.token_hash == _hash(token))).first()
    if t is None or t.used_at is not None or t.expires_at <= now or not Path(t.path).exists():
        return None
    owner = auth.live_session(session, t.session_id, now)
    if owner is None or not hmac.compare_digest(owner.download_key_hash, _hash(key)):
        return None
    spent = changed(
        session,
        sa.update(DownloadTicket)
        .where(DownloadTicket.id == t.id, DownloadTicket.used_at.is_(None))
        .values(used_at=now),
    )
    return t if spent == 1 else None


async def download(request):
    with db.session_scope() as s:
        ticket = redeem(s, request.path_params["token"], request.cookies.get(auth.DOWNLOAD_COOKIE))
    if ticket is None:
        return PlainTextResponse("下载链接无效或已过期，请重新导出。", status_code=404)
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(ticket.filename)}",
        "Cache-Control": "no-store",
    }
    # One use only: read, delete, send. (A FileResponse would race its own deletion:
    # granian streams the path after the handler returned.)
    path = Path(ticket.path)
    data = path.read_bytes()
    path.unlink(missing_ok=True)
    return Response(data, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"), headers=headers)


def routes() -> list[Route]:
    return [Route(ROUTE + "/{token}", download), Route(media.ROUTE + "/{name}", media.serve)]
