"""clss_app/compat.py holds what leans on library internals; these fail loudly when a library moves."""

from __future__ import annotations

import re
from importlib.metadata import version

import pytest
import reflex as rx

from clss_app import compat
from tests.conftest import ROOT


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        m = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s#]+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


@pytest.mark.parametrize("package", sorted(compat.WRITTEN_FOR))
def test_the_installed_version_is_the_one_compat_was_written_for(package):
    written_for, installed = compat.WRITTEN_FOR[package], version(package)
    pinned = _pins().get(package, installed)  # granian and reflex-base come with reflex
    recheck = "\n  - ".join(compat.RECHECK[package])
    assert installed == written_for == pinned, (
        f"{package} is {installed} (requirements.txt: {pinned}), clss_app/compat.py was written for "
        f"{written_for}. Re-check:\n  - {recheck}\nthen set WRITTEN_FOR[{package!r}] to the new version."
    )


def test_every_package_compat_leans_on_says_what_to_recheck():
    assert set(compat.RECHECK) == set(compat.WRITTEN_FOR)


def test_granian_respawns_a_crashed_worker_when_reflex_starts_it():
    from granian.server import Server  # what Reflex's production run starts

    compat.respawn_crashed_workers()
    compat.respawn_crashed_workers()  # twice (Reflex reads rxconfig again): still one wrapper
    assert Server("clss_app.clss_app:app").respawn_failed_workers is True
    assert Server("clss_app.clss_app:app", respawn_failed_workers=False).respawn_failed_workers is False


def test_payloads_are_converted_as_reflex_converts_them_before_a_handler_runs():
    assert compat.transform_event_payload({"page": "5", "q": "x"}, {"page": int, "q": str}) == {"page": 5, "q": "x"}
    with pytest.raises(ValueError):
        compat.transform_event_payload({"page": "five"}, {"page": int})


def test_the_typed_event_decorator_is_reflexs_own_at_run_time():
    assert compat.event is rx.event
