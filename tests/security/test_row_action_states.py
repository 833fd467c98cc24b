"""An action forged onto a row its ``when`` does not cover (财务's 确认退款 on a 已确认 bill, 店长's 办理退房
on an 已到期 contract), by a role that may run that action elsewhere: over the socket, through the bulk
bar's events (tick the row, ask, run) and through the row's own (row_action, run). Each is refused with
a Chinese message naming the row, and writes nothing (no audit row either). The control: the same
events on a row the action applies to open its confirm dialog."""

from __future__ import annotations

from sqlmodel import Session

from clss_app.admin.query import ListQuery, fetch_page
from clss_app.site import app_site
from tests.security import forge
from tests.security.conftest import failures

PAGES = forge.pages()


def _handlers(key: str) -> dict[str, forge.Handler]:
    return {h.name: h for s in forge.states_on(PAGES[key]) for h in forge.handlers(s) if not h.problem}


def _first_row(facts, key: str, who: str, params: dict[str, str]):
    """The first row the list shows ``who`` for that URL query (what the forged tab has on screen)."""
    admin = app_site().admin(key)
    p = facts.principals[who]
    with Session(facts.engine) as s:
        rows = fetch_page(s, admin, p, ListQuery.from_params(params, admin, p))
        assert rows, f"no row of {key} for {params}"
        return rows[0].id, admin.row_label(rows[0])


def _cases(key: str, search: str, row_id: int, action: str) -> list[forge.Case]:
    hs = _handlers(key)
    show = forge.step(hs["apply_search"], {"search": search})
    run = forge.step(hs["run_action"], {"form": {"input": "安全测试"}})
    clear = forge.step(hs["clear_selection"], {})
    return [
        forge.Case(
            "action_role",
            hs["run_action"],
            [
                show,
                forge.step(hs["toggle_row"], {"row_id": str(row_id)}),
                forge.step(hs["ask_action"], {"name": action}),
                run,
                clear,
            ],
            note=f"{action} on ticked {key} #{row_id} outside its when",
        ),
        forge.Case(
            "action_role",
            hs["run_action"],
            [show, forge.step(hs["row_action"], {"row_id": str(row_id), "name": action}), run],
            note=f"{action} from the row of {key} #{row_id} outside its when",
        ),
    ]


def _refused_by_name(attack, key: str, who: str, search: str, action: str) -> None:
    facts = attack.facts
    row_id, label = _first_row(facts, key, who, dict(p.split("=") for p in search.lstrip("?").split("&")))
    attack.token(who)  # logged in first: the login's own writes (throttle, session) come before the mark
    mark = attack.journal.mark()
    outcomes = attack.run(_cases(key, search, row_id, action), PAGES[key], who)
    assert not failures(outcomes, who), "\n".join(failures(outcomes, who))
    verb = next(a.label for a in app_site().admin(key).actions if a.name == action)
    for o in outcomes:
        said = o.reply.messages()
        assert any(label in m and verb in m for m in said), (o.case.describe(), o.reply.summary())
        assert not o.reply.var("confirm_open"), o.reply.summary()  # no dialog to confirm
    assert not [c for c in attack.journal.since(mark) if c[0] != "user_session"]  # no audit row either


def test_finance_cannot_confirm_a_refund_on_a_confirmed_bill(attack):
    _refused_by_name(attack, "bills", "finance", "?f_state=confirmed", "refund_done")


def test_a_manager_cannot_check_out_an_expired_contract(attack):
    _refused_by_name(attack, "contracts", "manager", "?f_state=expired", "check_out")


# Issue 21's actions, each on a row past the state it applies to: an imported contract already made
# real, a 住房链 application already listed, a 存房 application already signed, a contract not filed.
def test_a_manager_cannot_delete_an_imported_contract_made_real(attack):
    _refused_by_name(attack, "contract_imports", "manager", "?f_state=formal", "remove")


def test_a_system_admin_cannot_review_a_listed_chain_application_again(attack):
    _refused_by_name(attack, "chain_applications", "sysadmin", "?f_state=listed", "approve")


def test_a_manager_cannot_approve_a_signed_consign_application(attack):
    _refused_by_name(attack, "consign_applications", "manager", "?f_state=signed", "approve")


def test_a_manager_cannot_revoke_the_filing_of_a_contract_not_filed(attack):
    _refused_by_name(attack, "contract_filings", "manager", "?f_filing_state=none", "revoke")


def test_the_control_the_same_events_on_a_row_it_applies_to_open_the_dialog(attack):
    facts = attack.facts
    row_id, label = _first_row(facts, "bills", "finance", {"f_state": "confirmed"})
    hs = _handlers("bills")
    case = forge.Case(
        "control",
        hs["row_action"],
        [
            forge.step(hs["apply_search"], {"search": "?f_state=confirmed"}),
            forge.step(hs["row_action"], {"row_id": str(row_id), "name": "pay"}),
        ],
    )
    [outcome] = attack.run([case], PAGES["bills"], "finance")
    assert outcome.reply.var("confirm_open") is True, outcome.reply.summary()
    assert outcome.reply.var("confirm_title") == f"登记收款：{label}"
