"""Staff accounts, their data scope and their login sessions."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow
from models.org import DataScope, Role


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=32, unique=True, index=True, title="登录名")
    display_name: str = Field(max_length=32, title="姓名")
    phone: str = Field(default="", max_length=20, title="手机号")
    role: Role = Field(sa_column=enum_column(Role, nullable=False), title="角色")
    org_unit_id: int = Field(foreign_key="org_unit.id", index=True, title="所属机构")
    data_scope: DataScope = Field(default=DataScope.SUBTREE,
                                  sa_column=enum_column(DataScope, nullable=False),
                                  title="数据权限")
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True, title="启用")
    failed_logins: int = Field(default=0, title="连续登录失败次数")
    locked_until: Optional[datetime] = Field(default=None, sa_type=UTCDateTime, title="锁定至")
    last_login_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime, title="最近登录")
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

    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
