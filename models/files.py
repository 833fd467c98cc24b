"""One-time tickets for files the server prepared for one user (exports, templates)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class DownloadTicket(SQLModel, table=True):
    __tablename__ = "download_ticket"

    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id")
    session_id: int = Field(foreign_key="user_session.id")  # the login that asked; the ticket dies with it
    path: str = Field(max_length=255)
    filename: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
