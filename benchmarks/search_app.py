"""The app with the search benchmark's 1,000,000-lease admin at /bench/search, for benchmarks/search.py
--browser. Started as ``REFLEX_APP_MODULE_IMPORT=benchmarks.search_app reflex run``: the app itself never
imports benchmark code."""

from benchmarks.search import ENTRIES, search_site
from clss_app.webapp import build_app

app = build_app(search_site(), ENTRIES)
