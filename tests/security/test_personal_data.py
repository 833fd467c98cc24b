"""查看完整信息 forged over the socket: by a role that sees a list but whose field gives it no right to
reveal, and for another company's row after its detail was refused. Each is refused with a message,
writes nothing (no audit row either) and never sends the full number. The generic out-of-scope
cases (test_forged_events) forge the same flow on every list with a masked field.
"""

from __future__ import annotations

from sqlmodel import Session

from models import EventSignup, Tenant
from tests.security import forge
from tests.security.conftest import failures

PAGES = forge.pages()


def _handlers(key: str) -> dict[str, forge.Handler]:
    page = PAGES[key]
    return {h.name: h for s in forge.states_on(page) for h in forge.handlers(s) if not h.problem}


def _reveal_case(kind: str, key: str, row_id: int, phone: str, note: str) -> forge.Case:
    hs = _handlers(key)
    steps = [forge.step(hs["open_detail"], {"row_id": str(row_id)}), forge.step(hs["reveal_field"], {"name": "phone"})]
    return forge.Case(kind, hs["reveal_field"], steps, note=note, canaries=(phone,))


def test_a_role_without_the_right_to_reveal_is_refused(attack):
    facts = attack.facts
    row_id = facts.inside("event_signups", "sysadmin")  # 报名管理 of its own branch: masked, no reveal
    with Session(facts.engine) as s:
        phone = s.get(EventSignup, row_id).phone
    case = _reveal_case("action_role", "event_signups", row_id, phone, "reveal a phone without the right")
    outcomes = attack.run([case], PAGES["event_signups"], "sysadmin")
    assert not failures(outcomes, "sysadmin"), failures(outcomes, "sysadmin")
    assert any("无权查看完整的手机号" in m for m in outcomes[0].reply.messages()), outcomes[0].reply.summary()


def test_another_company_s_tenant_cannot_be_revealed(attack):
    facts = attack.facts
    theirs = facts.outside("tenant")  # a tenant of another company than store2's (燕园)
    with Session(facts.engine) as s:
        their_phone = s.get(Tenant, theirs.id).phone
    case = _reveal_case("out_of_scope", "tenants", theirs.id, their_phone, "another company's tenant")
    outcomes = attack.run([case], PAGES["tenants"], "store2")
    assert not failures(outcomes, "store2"), failures(outcomes, "store2")
    assert their_phone not in outcomes[0].reply.text()


def test_the_control_a_principal_reveals_its_own_tenant_s_phone(attack):
    """The same events by a role that may: the number arrives and one audit row is written (so the
    refusals above are refusals, not a broken flow)."""
    facts = attack.facts
    mine = facts.inside("tenants", "principal")
    with Session(facts.engine) as s:
        phone = s.get(Tenant, mine).phone
    case = _reveal_case("control", "tenants", mine, phone, "principal reveals its own tenant's phone")
    mark = attack.journal.mark()
    [outcome] = attack.run([case], PAGES["tenants"], "principal")
    assert phone in outcome.reply.text(), outcome.reply.summary()
    assert ("audit_log", "insert") in {(t, op) for t, op, _ in attack.journal.since(mark)}
