"""The tenant APP's API (clss_app/api): SMS login codes, bearer tokens, request counters and the answers
kept for idempotency keys. Secrets are stored only as SHA-256 hashes."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class SmsCode(SQLModel, table=True):
    """A login code sent to a phone: its hash (with a random salt), expiry, wrong tries and use."""

    __tablename__ = "sms_code"

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=11, index=True, title="手机号")
    salt: str = Field(max_length=32, title="盐")
    code_hash: str = Field(max_length=64, title="验证码摘要")
    attempts: int = Field(default=0, title="错误次数")
    expires_at: datetime = Field(sa_type=UTCDateTime, title="失效时间")
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="使用时间")
    message_id: str = Field(default="", max_length=64, title="短信编号")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="发送时间")


class ApiToken(SQLModel, table=True):
    """A tenant's bearer token: the APP holds the random token, the server its hash; revoked by logout."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, title="租客")
    phone: str = Field(max_length=11, title="手机号")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="登录时间")
    expires_at: datetime = Field(sa_type=UTCDateTime, title="失效时间")
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="注销时间")


class RateWindow(SQLModel, table=True):
    """How many requests a key (a token, a phone) made in one fixed window; a conditional UPDATE takes a
    place, so workers on one database never let more through than the limit."""

    __tablename__ = "rate_window"

    key: str = Field(max_length=80, primary_key=True)
    slot: int = Field(primary_key=True)  # the window: epoch seconds // its length ("window" is reserved in PostgreSQL)
    count: int = Field(default=0)


class IdempotentAnswer(SQLModel, table=True):
    """The answer given to a creating POST under an Idempotency-Key, written in the same transaction as
    its effect: the same key again gets the same answer and changes nothing."""

    __tablename__ = "idempotent_answer"
    __table_args__ = (sa.UniqueConstraint("owner", "key", name="uq_idempotent_answer_owner_key"),)

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(max_length=40)  # "tenant:12"
    key: str = Field(max_length=64)
    fingerprint: str = Field(max_length=64)  # SHA-256 of method, path and body
    status: int = Field(default=0)
    body: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
