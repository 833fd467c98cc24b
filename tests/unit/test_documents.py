"""Printed documents: 收据 numbered per company without gaps (补打 keeps the number and says 副本), the
缴费通知单 with its QR code, the 退房结算单 and the contract; each PDF's text read back with pdftotext."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest
from sqlmodel import select

from clss_app.core import clock
from clss_app.services import documents
from models import Bill, Contract, ContractState, Payment, PayOrder, Project, Receipt


def text_of(doc: documents.Document, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(doc.data)
    assert doc.data.startswith(b"%PDF-")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.05", "伍分"),
        ("10.50", "壹拾元伍角"),
        ("100.07", "壹佰元零柒分"),
        ("1001", "壹仟零壹元整"),
        ("100100", "壹拾万零壹佰元整"),
        ("2867.73", "贰仟捌佰陆拾柒元柒角叁分"),
        ("12345678.90", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角"),
    ],
)
def test_amounts_in_capital_numerals(amount, words):
    assert documents.capital_yuan(Decimal(amount)) == words


def _payments(session, n):
    """The first ``n`` payments of one company (receipts are numbered per company)."""
    first = session.exec(select(Payment).where(Payment.amount > 0).order_by(Payment.id)).first()
    company = session.get_one(Project, first.project_id).company_id
    of_company = select(Project.id).where(Project.company_id == company)
    return session.exec(
        select(Payment).where(Payment.amount > 0, Payment.project_id.in_(of_company)).order_by(Payment.id).limit(n)
    ).all()


def test_receipts_are_numbered_without_gaps_and_a_reprint_is_a_copy(session, tmp_path):
    first, second = _payments(session, 2)
    a = documents.receipt(session, first, None)
    b = documents.receipt(session, second, None)
    again = documents.receipt(session, first, None)
    numbers = session.exec(select(Receipt.number).order_by(Receipt.number)).all()
    assert numbers == [1, 2]  # the company's first two, the reprint none of its own
    text = text_of(a, tmp_path)
    code = session.exec(select(Receipt.code).where(Receipt.payment_id == first.id)).one()
    bill = session.get_one(Bill, first.bill_id)
    assert code in text and bill.title in text and f"¥{first.amount:,.2f}" in text
    assert documents.capital_yuan(first.amount) in text
    assert "补打" not in text
    copy = text_of(again, tmp_path)
    assert code in copy and "补打" in copy and "副本" in copy
    assert again.filename.endswith("-补打.pdf") and b.filename != a.filename
    assert session.exec(select(Receipt.printed_count).where(Receipt.payment_id == first.id)).one() == 2


def test_a_refund_line_has_no_receipt(session):
    refund = session.exec(select(Payment).where(Payment.amount < 0)).first()
    with pytest.raises(documents.DocumentError, match="没有收据"):
        documents.receipt(session, refund, None)


def test_the_notice_lists_the_open_bills_with_their_total_and_qr(session, tmp_path):
    bills = session.exec(select(Bill).where(Bill.state == "confirmed").order_by(Bill.tenant_id, Bill.due_date)).all()
    mine = [b for b in bills if b.tenant_id == bills[0].tenant_id]
    order = PayOrder(
        order_no="P20261202000000000001",
        company_id=1,
        project_id=mine[0].project_id,
        tenant_id=mine[0].tenant_id,
        amount=Decimal("1"),
        expire_at=clock.now(),
        qr_content="http://127.0.0.1:3101/pay/P20261202000000000001",
    )
    text = text_of(documents.payment_notice(session, mine, order, None), tmp_path)
    total = sum(b.amount + b.late_fee - b.paid for b in mine)
    assert "缴费通知单" in text and all(b.title in text for b in mine)
    assert f"合计待缴：¥{total:,.2f}" in text and "P20261202000000000001" in text


def test_settlement_statement_and_contract(session, tmp_path):
    out = session.exec(
        select(Contract).where(Contract.state == ContractState.CHECKED_OUT, Contract.settlement.is_not(None))
    ).first()
    text = text_of(documents.settlement_statement(session, out, None), tmp_path)
    assert "退房结算单" in text and out.number in text and "结算结果" in text
    running = session.exec(select(Contract).where(Contract.state == ContractState.ACTIVE)).first()
    with pytest.raises(documents.DocumentError):
        documents.settlement_statement(session, running, None)
    text = text_of(documents.contract_document(session, running, None), tmp_path)
    assert "房屋租赁合同" in text and running.number in text and "合同条款" in text
    assert f"¥{running.monthly_rent:,.2f}" in text
