"""The low-code engine: ModelAdmin declarations become list, detail and form pages.

It knows SQLModel and Reflex and nothing about rentals. Permission and data
scope come from ``clss_app.services.permissions`` and are applied here, so a
declaration cannot forget them. docs/engine.md walks through adding an entity.
"""

from clss_app.admin.many import Many
from clss_app.admin.options import (
    AuditActions,
    Count,
    File,
    Image,
    Images,
    Input,
    Labels,
    Masked,
    MaskedSnapshot,
    Money,
    Month,
    Percent,
    Range,
    Shown,
    Sort,
    Within,
)
from clss_app.admin.scope import Scope
from clss_app.admin.view import (
    NOBODY,
    Action,
    ActionContext,
    ActionResult,
    Errors,
    Link,
    ModelAdmin,
    Ordering,
    Values,
    approve_reject,
    ask,
)

__all__ = [
    "NOBODY",
    "Action",
    "ActionContext",
    "ActionResult",
    "AuditActions",
    "Count",
    "Errors",
    "File",
    "Image",
    "Images",
    "Input",
    "Labels",
    "Link",
    "Many",
    "Masked",
    "MaskedSnapshot",
    "ModelAdmin",
    "Money",
    "Month",
    "Ordering",
    "Percent",
    "Range",
    "Scope",
    "Shown",
    "Sort",
    "Values",
    "Within",
    "approve_reject",
    "ask",
]
