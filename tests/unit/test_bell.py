"""The header's bell: the inbox's items and count for the user, kept briefly per user and scope."""

import pytest
from sqlmodel import select

from clss_app.menu import visible_keys
from clss_app.services import inbox
from clss_app.ui import bell
from models import ApprovalState, BadDebt


@pytest.fixture(autouse=True)
def _empty_cache(monkeypatch):
    monkeypatch.setattr(bell, "_cache", {})


@pytest.mark.parametrize("who", ["principal", "finance", "assistant", "manager"])
def test_the_bell_counts_what_the_inbox_lists(session, principal_of, who):
    p = principal_of(who)
    expected = inbox.todo(session, p, visible_keys(p.role))
    items = bell.cached_todo(session, p)
    assert [(i["item"], i["count"]) for i in items] == [(i["item"], i["count"]) for i in expected]
    assert bell.total(items) == sum(int(i["count"].replace(",", "")) for i in expected) > 0
    assert all(i["href"].startswith("/") for i in items)


def test_the_bell_keeps_a_users_counts_for_a_short_while_only(session, principal_of):
    principal, other = principal_of("principal"), principal_of("principal2")
    first = bell.cached_todo(session, principal, now=100.0)
    assert "坏账待一级审批" in [i["item"] for i in first]
    debt = session.exec(select(BadDebt).where(BadDebt.state == ApprovalState.LEVEL1)).first()
    debt.state = ApprovalState.LEVEL2
    session.add(debt)
    session.commit()
    assert bell.cached_todo(session, principal, now=100.0 + bell.TTL - 1) is first  # no query inside TTL
    assert "坏账待一级审批" not in [i["item"] for i in bell.cached_todo(session, principal, now=100.0 + bell.TTL)]
    # Another user (another company) has their own counts, never the first one's.
    assert "坏账待一级审批" not in [i["item"] for i in bell.cached_todo(session, other, now=100.0)]
