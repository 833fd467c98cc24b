"""The tenant APP's JSON API, /api/v1 on the app's own server (clss_app/webapp.py mounts ``app.build()``).

Engine (this package): one error shape (errors.py), the bearer-token dependency with its per-minute
limit (auth.py), resources generated from ``ApiResource`` declarations with cursor paging (resource.py),
the Idempotency-Key helper for creating POSTs (idempotency.py), and an offline docs page (docs.py).
The declarations and the tenant's own endpoints live in clss_app/tenant_api.py.
"""
