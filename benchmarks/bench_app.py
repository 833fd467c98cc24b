"""The app with the benchmark's 1,000,000-bill admin at /bench/bills, for benchmarks/engine_list.py.

Started as ``REFLEX_APP_MODULE_IMPORT=benchmarks.bench_app reflex run``: the app itself never
imports benchmark code.
"""

from benchmarks.bench_bills import ENTRIES, bench_site
from clss_app.webapp import build_app

app = build_app(bench_site(), ENTRIES)
