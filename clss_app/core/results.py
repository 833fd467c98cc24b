"""What an action is given (``ActionContext``) and what it answers (``ActionResult``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlmodel import Session

from clss_app.core.principal import Principal

RowT = TypeVar("RowT")


@dataclass
class ActionResult:
    done: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (row label, reason)
    notes: list[str] = field(default_factory=list)  # shown once, e.g. a temporary password
    goto: str = ""  # a page of the app to open once it is done (the QR code of an order just made)
    download: str = ""  # a file to hand over once it is done (a one-time download URL: a printed PDF)

    def message(self, verb: str) -> str:
        text = f"{verb}成功 {self.done} 条"
        if self.notes:
            text += "（" + "；".join(self.notes[:20]) + "）"
        if self.refused:
            reasons = "；".join(f"{name}：{why}" for name, why in self.refused[:5])
            more = f" 等 {len(self.refused)} 条" if len(self.refused) > 5 else ""
            text += f"，未处理 {len(self.refused)} 条（{reasons}{more}）"
        return text


@dataclass(frozen=True)
class ActionContext(Generic[RowT]):
    """One run of an action: the engine has checked the role and that every row is in scope.

    ``text`` is the typed reason or comment (an action's ``input_label``), ``values`` the parsed
    inputs it asked for ({name: value}).
    """

    session: Session
    principal: Principal
    rows: list[RowT]
    text: str = ""
    values: dict[str, Any] = field(default_factory=dict)
