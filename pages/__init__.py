"""One module per menu area: declarations, thin page states and their components.

Importing a module registers nothing: the app's site (clss_app/site.py) registers each module's
admins and dashboards explicitly, in one place.
"""
