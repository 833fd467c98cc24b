"""One module per menu area: page states (thin) and their components.

The menu grants who may view each entry; importing it here means any page
module (and the ModelAdmins in it) comes with those grants.
"""
from clss_app import menu  # noqa: F401
