"""/_clss/health: what a load balancer asks each worker."""

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from clss_app import db, health


def _client(peer: str = "127.0.0.1") -> TestClient:
    return TestClient(Starlette(routes=[Route(health.ROUTE, health.health)]), client=(peer, 50000))


def test_healthy_worker_answers_200_with_its_node(demo_db, monkeypatch):
    monkeypatch.delenv("CLSS_REDIS_URL", raising=False)
    r = _client().get(health.ROUTE)
    assert r.status_code == 200
    assert r.json()["database"] == "ok" and r.json()["node"] == db.node() and "redis" not in r.json()


def test_unreachable_database_or_redis_answers_503(tmp_path, monkeypatch):
    monkeypatch.setenv("CLSS_DATABASE_URL", "postgresql+psycopg://nobody@/x?host=/nonexistent&port=1")
    r = _client().get(health.ROUTE)
    assert r.status_code == 503 and r.json()["database"].startswith("error")
    monkeypatch.setenv("CLSS_DATABASE_URL", f"sqlite:///{tmp_path}/h.db")
    monkeypatch.setenv("CLSS_REDIS_URL", f"unix://{tmp_path}/no-redis.sock")
    r = _client().get(health.ROUTE)
    assert r.status_code == 503 and r.json() | {"ms": 0, "node": ""} == {
        "database": "ok",
        "redis": "error: ConnectionError",
        "ms": 0,
        "node": "",
    }


def test_host_and_pid_only_for_internal_callers(demo_db, monkeypatch):
    monkeypatch.delenv("CLSS_REDIS_URL", raising=False)
    assert _client("10.1.2.3").get(health.ROUTE).json()["node"] == db.node()
    outside = _client("8.8.4.4").get(health.ROUTE)
    assert outside.status_code == 200 and "node" not in outside.json() and str(db.node()) not in outside.text
    # Through a proxy on the same host: the client it names decides.
    proxied = _client().get(health.ROUTE, headers={"X-Forwarded-For": "1.1.1.1"})
    assert "node" not in proxied.json()
    assert "node" in _client().get(health.ROUTE, headers={"X-Forwarded-For": "10.0.0.9"}).json()
