"""The Reflex app module (rxconfig's app_name): the app's site (clss_app/site.py) as guarded pages."""

from clss_app.site import app_site
from clss_app.webapp import build_app

app = build_app(app_site())  # every declaration registered and checked: a bad one stops the app here
