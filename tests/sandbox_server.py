"""The sandbox of the external systems (clss_app/sandbox), one server per test session on a private
port: the unit tests' adapters and the app under test speak to it over HTTP, as in the demo."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import ROOT


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sandbox_call(url: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(
        url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


@pytest.fixture(scope="session")
def sandbox_url(tmp_path_factory) -> str:
    import time

    port = _free_port()
    log = tmp_path_factory.mktemp("sandbox") / "sandbox.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "clss_app.sandbox", "--port", str(port)],
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:
                raise RuntimeError(f"sandbox exited early:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url + "/ping", timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


@pytest.fixture
def pay_sandbox(sandbox_url, monkeypatch) -> str:
    """The sandbox as the payment provider and the bank of this test, their faults, orders and batches of
    earlier tests forgotten."""
    monkeypatch.setenv("CLSS_PAY_URL", sandbox_url)
    monkeypatch.setenv("CLSS_BANK_URL", sandbox_url)
    monkeypatch.setenv("CLSS_PUBLIC_URL", "http://127.0.0.1:9")  # no app here: the tests post callbacks themselves
    sandbox_call(sandbox_url, "/sandbox/control", {"reset": True})
    sandbox_call(sandbox_url, "/sandbox/bank/control", {"reset": True})
    return sandbox_url
