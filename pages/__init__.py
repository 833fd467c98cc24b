"""One module per menu area: page states (thin) and their components.

The menu grants who may view each entry; importing it here means any page
module (and the ModelAdmins in it) comes with those grants. Every module of
declarations is imported too: a foreign key's picker and validation follow
the data scope its target's admin declares, so that admin must be registered
whichever page is imported first.
"""

from clss_app import menu  # noqa: F401
from pages import (
    app_content,
    finance,
    housing,
    insurance,
    leasing,
    market,
    marketing,
    system,
)

__all__ = ["app_content", "finance", "housing", "insurance", "leasing", "market", "marketing", "system"]
