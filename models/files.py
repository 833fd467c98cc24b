"""Stored files: one-time download tickets, and which rows hold each uploaded file."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class DownloadTicket(SQLModel, table=True):
    __tablename__ = "download_ticket"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id")
    session_id: int = Field(foreign_key="user_session.id")  # the login that asked; the ticket dies with it
    path: str = Field(max_length=255)
    filename: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StoredFileOwner(SQLModel, table=True):
    """A row holding a stored image or attachment reference (see clss_app/admin/stored_files.py).

    Written on every save, so an attachment is handed out only for a row that holds it by its own
    upload, never for one that copied another row's reference. Keyed by the table, not the admin:
    several admins may show the same rows.
    """

    __tablename__ = "stored_file_owner"
    __table_args__ = (sa.UniqueConstraint("table_name", "row_id", "field_name", "ref", name="uq_stored_file_owner"),)

    id: int | None = Field(default=None, primary_key=True)
    table_name: str = Field(max_length=64)
    row_id: int
    field_name: str = Field(max_length=64)
    ref: str = Field(max_length=255)
    resource: str = Field(max_length=64)  # the admin it was saved through
    username: str = Field(max_length=64)  # who saved it there ("" for rows older than these records)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
