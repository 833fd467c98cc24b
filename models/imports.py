"""Import batches: every spreadsheet import is one batch that can be looked at or cancelled."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import SHANGHAI, LabeledEnum, UTCDateTime, enum_column, utcnow


class BatchState(LabeledEnum):
    IMPORTED = ("imported", "已导入")
    CANCELLED = ("cancelled", "已撤销")


def batch_title(scene: str, at: datetime, filename: str) -> str:
    """A batch's title: its scene, when (Beijing time, as 导入时间 shows it) and file."""
    return f"{scene} {at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} {filename}"[:160]


class ImportBatch(SQLModel, table=True):
    __tablename__ = "import_batch"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=160, title="批次")
    resource: str = Field(max_length=32, index=True, title="导入模块")  # the admin key of the rows
    scene: str = Field(max_length=32, title="导入场景")
    filename: str = Field(default="", max_length=128, title="文件名")
    user_id: int | None = Field(default=None, foreign_key="app_user.id", title="导入人")
    username: str = Field(default="", max_length=32, title="导入人")
    org_unit_id: int | None = Field(default=None, foreign_key="org_unit.id", index=True, title="所属机构")
    total: int = Field(default=0, title="导入条数")
    state: BatchState = Field(
        default=BatchState.IMPORTED, sa_column=enum_column(BatchState, nullable=False), title="状态"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True, title="导入时间")
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="撤销时间")
    cancelled_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="撤销人")
    version: int = Field(default=1, title="版本")
