"""Staff accounts, their data scope, their login sessions and the login log."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, utcnow
from models.org import DataScope, Role


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=32, unique=True, index=True, title="登录名")
    display_name: str = Field(max_length=32, title="姓名")
    phone: str = Field(default="", max_length=20, title="手机号")
    role: Role = Field(sa_column=enum_column(Role, nullable=False), title="角色")
    org_unit_id: int = Field(foreign_key="org_unit.id", index=True, title="所属机构")
    data_scope: DataScope = Field(
        default=DataScope.SUBTREE, sa_column=enum_column(DataScope, nullable=False), title="数据权限"
    )
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True, title="启用")
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime, title="锁定至")
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="最近登录")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")


class UserScopeUnit(SQLModel, table=True):
    """The units of a 自定义 data scope; each counts with everything below it."""

    __tablename__ = "user_scope_unit"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    unit_id: int = Field(foreign_key="org_unit.id", primary_key=True)


class UserProject(SQLModel, table=True):
    """Projects assigned to store staff (店长, 店助, 多店店长)."""

    __tablename__ = "user_project"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    project_id: int = Field(foreign_key="project.id", primary_key=True, index=True)


class UserSession(SQLModel, table=True):
    """A server-side login session; the browser holds only the random token."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Refreshed by activity about once a minute; the session ends CLSS_IDLE_MINUTES after it.
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # SHA-256 of a second secret, kept by the browser in a cookie: the download route asks for it, so a
    # download link copied to another browser is useless.
    download_key_hash: str = Field(default="", max_length=64)


class LoginThrottle(SQLModel, table=True):
    """A failed-login counter: of a typed username (existing or not) from one client address, of the
    username from everywhere (address ""), or of the address for any username (username "")."""

    __tablename__ = "login_throttle"

    username: str = Field(default="", max_length=32, primary_key=True)
    address: str = Field(default="", max_length=64, primary_key=True)
    failures: int = Field(default=0)
    last_failed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LoginOutcome(LabeledEnum):
    SUCCESS = ("success", "登录成功")
    FAILED = ("failed", "密码错误")
    UNKNOWN = ("unknown", "用户名不存在")
    THROTTLED = ("throttled", "尝试过于频繁")
    LOCKED = ("locked", "账号锁定中")
    INACTIVE = ("inactive", "账号已停用")
    LOCK = ("lock", "账号被锁定")
    UNLOCK = ("unlock", "账号解锁")


class LoginLog(SQLModel, table=True):
    """Every login attempt, lock and unlock. A row of an unknown username belongs to no unit: only
    unrestricted admins see it."""

    __tablename__ = "login_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True, title="时间")
    username: str = Field(max_length=32, title="登录名")
    user_id: int | None = Field(default=None, foreign_key="app_user.id", title="账号")
    org_unit_id: int | None = Field(default=None, foreign_key="org_unit.id", index=True, title="所属机构")
    address: str = Field(default="", max_length=64, title="来源地址")
    outcome: LoginOutcome = Field(sa_column=enum_column(LoginOutcome, nullable=False), title="结果")
    detail: str = Field(default="", max_length=255, title="说明")
