"""Printed documents as PDF (fpdf2 with the system's Noto Sans CJK): 收据, 缴费通知单, 退房结算单 and the
contract itself.

收据 are numbered per company without gaps: the number is taken from the company's counter (a
conditional update) in the transaction that records the receipt, so a rolled-back print gives its
number back. A receipt printed again (补打) keeps its number and says it is a copy.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import qrcode
import qrcode.image.svg
import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import clock
from clss_app.core.rows import saved_id
from clss_app.services import signing
from clss_app.services.bills import outstanding
from models import (
    Bill,
    BillState,
    Contract,
    OrgUnit,
    Payment,
    PayOrder,
    Project,
    Receipt,
    ReceiptCounter,
    Room,
    Tenant,
    User,
)

FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)
SC = 2  # Simplified Chinese's face in the Noto CJK collections (JP, KR, SC, TC, HK)


class DocumentError(Exception):
    """Why a document cannot be printed (``str()`` is for the user)."""


@dataclass(frozen=True)
class Document:
    filename: str
    data: bytes


@cache
def _fonts_present() -> bool:
    return all(f.exists() for f in FONT_FILES)


def _pdf(title: str):
    from fpdf import FPDF  # about 100 ms to import: only a print needs it

    if not _fonts_present():
        raise DocumentError("服务器缺少中文字体（fonts-noto-cjk），无法生成 PDF")
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("CLSS Admin")
    pdf.add_font("cjk", "", str(FONT_FILES[0]), collection_font_number=SC)
    pdf.add_font("cjk", "B", str(FONT_FILES[1]), collection_font_number=SC)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_margins(18, 18, 18)
    return pdf


def _heading(pdf, company: str, title: str, mark: str = "") -> None:
    pdf.set_font("cjk", "B", 18)
    pdf.cell(0, 10, company, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", "B", 15)
    pdf.cell(0, 10, title + (f"（{mark}）" if mark else ""), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _rows(pdf, pairs: list[tuple[str, str]]) -> None:
    pdf.set_font("cjk", "", 11)
    for label, value in pairs:
        pdf.set_font("cjk", "B", 11)
        pdf.cell(34, 8, label, border=1)
        pdf.set_font("cjk", "", 11)
        pdf.multi_cell(0, 8, value or " ", border=1, new_x="LMARGIN", new_y="NEXT")


def _table(pdf, head: list[str], widths: list[int], rows: list[list[str]]) -> None:
    pdf.set_font("cjk", "B", 10)
    for h, w in zip(head, widths, strict=True):
        pdf.cell(w, 8, h, border=1, align="C")
    pdf.ln()
    pdf.set_font("cjk", "", 10)
    for row in rows:
        for v, w in zip(row, widths, strict=True):
            pdf.cell(w, 8, v, border=1, align="R" if v.startswith("¥") else "L")  # amounts line up
        pdf.ln()


def _footer(pdf, who: str) -> None:
    pdf.ln(6)
    pdf.set_font("cjk", "", 10)
    now = clock.now().astimezone(clock.SHANGHAI)
    pdf.cell(0, 6, f"打印：{who}    打印时间：{now:%Y-%m-%d %H:%M}", new_x="LMARGIN", new_y="NEXT")


def _reading(v: Decimal | None) -> str:
    return "—" if v is None else str(v)


def _yuan(v: Decimal) -> str:
    return f"¥{v:,.2f}"


def _company_name(session: Session, company_id: int) -> str:
    return session.get_one(OrgUnit, company_id).name


def _who(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.display_name if user else "系统"


# ---------------------------------------------------------------- 收据


def _next_number(session: Session, company_id: int) -> int:
    """The company's next receipt number; the counter row is written first, so two prints wait in turn."""
    bumped = session.execute(
        sa.update(ReceiptCounter)
        .where(ReceiptCounter.company_id == company_id)
        .values(last_number=ReceiptCounter.last_number + 1)
        .returning(ReceiptCounter.last_number)
    ).scalar_one_or_none()
    if bumped is not None:
        return int(bumped)
    session.add(ReceiptCounter(company_id=company_id, last_number=1))
    session.flush()
    return 1


def receipt(session: Session, payment: Payment, printed_by: int | None) -> Document:
    """The 收据 of one payment: numbered at its first print, marked 补打 on every later one."""
    if payment.amount <= 0:
        raise DocumentError("退款或冲减记录没有收据")
    bill = session.get_one(Bill, payment.bill_id)
    company_id = session.get_one(Project, bill.project_id).company_id
    r = session.exec(select(Receipt).where(Receipt.payment_id == payment.id)).first()
    copy = r is not None
    if r is None:
        n = _next_number(session, company_id)
        r = Receipt(
            company_id=company_id,
            number=n,
            code=f"SJ{company_id:03d}{n:08d}",
            payment_id=saved_id(payment),
            amount=payment.amount,
            printed_count=1,
            printed_by_id=printed_by,
        )
        session.add(r)
    else:
        session.execute(sa.update(Receipt).where(Receipt.id == r.id).values(printed_count=Receipt.printed_count + 1))
    session.flush()
    tenant = session.get_one(Tenant, bill.tenant_id)
    room = session.get_one(Room, bill.room_id)
    project = session.get_one(Project, bill.project_id)
    pdf = _pdf(f"收据 {r.code}")
    _heading(pdf, _company_name(session, company_id), "收  据", "补打 · 副本" if copy else "")
    pdf.set_font("cjk", "", 11)
    pdf.cell(0, 8, f"收据编号：{r.code}", new_x="LMARGIN", new_y="NEXT")
    _rows(
        pdf,
        [
            ("交款人", tenant.name),
            ("房间", f"{project.name} {room.number}"),
            ("收款项目", bill.title),
            ("账期", f"{bill.period_start} 至 {bill.period_end}"),
            ("金额（小写）", _yuan(payment.amount)),
            ("金额（大写）", capital_yuan(payment.amount)),
            ("收款方式", payment.method.label),
            ("收款日期", payment.paid_on.isoformat()),
            ("凭证号", payment.receipt_no or payment.source_ref),
        ],
    )
    _footer(pdf, _who(session, printed_by))
    return Document(f"收据-{r.code}{'-补打' if copy else ''}.pdf", bytes(pdf.output()))


DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]
GROUPS = ["", "万", "亿"]


def capital_yuan(amount: Decimal) -> str:
    """The amount in capital numerals, as receipts write it: 壹仟贰佰叁拾肆元伍角陆分, 整 when no cents."""
    cents = int((amount * 100).to_integral_value())
    if cents == 0:
        return "零元整"
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    out = ""
    if yuan:
        groups, g = [], 0
        while yuan:
            groups.append((yuan % 10000, g))
            yuan //= 10000
            g += 1
        text, zero = "", False
        for value, g in reversed(groups):
            if value == 0:
                zero = bool(text)
                continue
            part, pending = "", False
            for i in range(3, -1, -1):
                d = value // 10**i % 10
                if d == 0:
                    pending = bool(part) or bool(text)
                    continue
                if pending or (zero and not part):
                    part += "零"
                    pending = zero = False
                part += DIGITS[d] + UNITS[i]
            text += part + GROUPS[g]
            zero = value < 1000
        out = text + "元"
    if jiao == 0 and fen == 0:
        return out + "整"
    if jiao:
        out += DIGITS[jiao] + "角"
    elif out:
        out += "零"
    if fen:
        out += DIGITS[fen] + "分"
    return out


# ---------------------------------------------------------------- 缴费通知单


def qr_png(content: str) -> bytes:
    img = qrcode.make(content, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def qr_svg_uri(content: str) -> str:
    img = qrcode.make(content, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def payment_notice(session: Session, bills: list[Bill], order: PayOrder | None, printed_by: int | None) -> Document:
    """缴费通知单: a tenant's open bills, their total, and the QR code to pay them (when the company takes
    payments online)."""
    first = bills[0]
    tenant = session.get_one(Tenant, first.tenant_id)
    project = session.get_one(Project, first.project_id)
    pdf = _pdf(f"缴费通知单 {tenant.name}")
    _heading(pdf, _company_name(session, project.company_id), "缴费通知单")
    pdf.set_font("cjk", "", 11)
    pdf.multi_cell(
        0,
        7,
        f"尊敬的 {tenant.name}：您在 {project.name} 的以下账单尚未缴清，请于应收日期前缴纳。",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    rows = [
        [b.title, b.due_date.isoformat(), _yuan(b.amount + b.late_fee), _yuan(b.paid), _yuan(outstanding(b))]
        for b in bills
    ]
    _table(pdf, ["账单", "应收日期", "应收", "已收", "待缴"], [62, 28, 28, 28, 28], rows)
    total = sum((outstanding(b) for b in bills), Decimal("0.00"))
    pdf.set_font("cjk", "B", 12)
    pdf.cell(0, 10, f"合计待缴：{_yuan(total)}（{capital_yuan(total)}）", new_x="LMARGIN", new_y="NEXT")
    if order is not None and order.qr_content:
        y = pdf.get_y() + 2
        pdf.image(io.BytesIO(qr_png(order.qr_content)), x=18, y=y, w=45, h=45)
        pdf.set_xy(68, y + 8)
        pdf.set_font("cjk", "", 11)
        expires = order.expire_at.astimezone(clock.SHANGHAI)
        pdf.multi_cell(
            0,
            7,
            f"请使用手机扫描左侧二维码支付。\n订单号：{order.order_no}\n二维码有效期至：{expires:%Y-%m-%d %H:%M}",
        )
        pdf.set_y(y + 48)
    else:
        pdf.set_font("cjk", "", 11)
        pdf.cell(0, 8, "请至门店或通过银行转账缴纳。", new_x="LMARGIN", new_y="NEXT")
    _footer(pdf, _who(session, printed_by))
    return Document(f"缴费通知单-{tenant.name}-{clock.today()}.pdf", bytes(pdf.output()))


# ---------------------------------------------------------------- 退房结算单 and the contract


def settlement_statement(session: Session, c: Contract, printed_by: int | None) -> Document:
    if c.checked_out_on is None or c.settlement is None:
        raise DocumentError("合同尚未办理退房，没有结算单")
    bill = session.exec(select(Bill).where(Bill.contract_id == c.id, Bill.fee_key == "settlement")).first()
    tenant = session.get_one(Tenant, c.tenant_id)
    room = session.get_one(Room, c.room_id)
    project = session.get_one(Project, c.project_id)
    pdf = _pdf(f"退房结算单 {c.number}")
    _heading(pdf, _company_name(session, project.company_id), "退房结算单")
    _rows(
        pdf,
        [
            ("合同编号", c.number),
            ("租客", tenant.name),
            ("房间", f"{project.name} {room.number}"),
            ("租期", f"{c.start_date} 至 {c.end_date}"),
            ("退房日期", c.checked_out_on.isoformat()),
            ("退房读数", f"电 {_reading(c.power_out)}  水 {_reading(c.water_out)}"),
        ],
    )
    pdf.ln(3)
    lines = [x for x in (bill.remark if bill else "").split("；") if x]
    _table(pdf, ["结算明细"], [174], [[x] for x in lines] or [["无差额"]])
    pdf.ln(2)
    # The settlement bill is what was finally owed either way (the contract's figure is as of check-out).
    refunding = (BillState.REFUND_DUE, BillState.OFFLINE_REFUND, BillState.REFUNDED)
    net = c.settlement if bill is None else -bill.amount if bill.state in refunding else bill.amount
    pdf.set_font("cjk", "B", 12)
    what = f"应退租客 {_yuan(-net)}" if net < 0 else f"租客应补 {_yuan(net)}" if net > 0 else "无需收退"
    pdf.cell(0, 10, f"结算结果：{what}", new_x="LMARGIN", new_y="NEXT")
    if bill is not None:
        pdf.set_font("cjk", "", 11)
        pdf.cell(0, 8, f"结算账单状态：{bill.state.label}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.cell(90, 8, "租客签字：")
    pdf.cell(0, 8, "经办人签字：", new_x="LMARGIN", new_y="NEXT")
    _footer(pdf, _who(session, printed_by))
    return Document(f"退房结算单-{c.number}.pdf", bytes(pdf.output()))


# A contract of a project whose 在线签约设置 has no 合同条款 prints these (services/signing.py).
DEFAULT_TERMS = (
    "一、甲方将上述房屋出租给乙方作居住使用，乙方不得擅自改变房屋用途或转租。",
    "二、租金按合同约定的缴费周期支付，乙方应于每期应收日期前缴清；逾期按日收取滞纳金。",
    "三、押金于合同终止、乙方结清全部费用并交还房屋后退还。",
    "四、租赁期间的水、电、燃气等费用按实际用量由乙方承担。",
    "五、乙方应爱护房屋及设施，因使用不当造成损坏的，应负责修复或赔偿。",
    "六、任何一方提前解除合同，应提前三十日书面通知对方，并按约定承担违约责任。",
    "七、本合同未尽事宜，双方可另行协商签订补充协议；发生争议的，协商不成可向房屋所在地人民法院起诉。",
)


def contract_document(session: Session, c: Contract, printed_by: int | None) -> Document:
    tenant = session.get_one(Tenant, c.tenant_id)
    room = session.get_one(Room, c.room_id)
    project = session.get_one(Project, c.project_id)
    company = _company_name(session, project.company_id)
    pdf = _pdf(f"房屋租赁合同 {c.number}")
    _heading(pdf, company, "房屋租赁合同")
    pdf.set_font("cjk", "", 11)
    pdf.cell(0, 8, f"合同编号：{c.number}", new_x="LMARGIN", new_y="NEXT")
    _rows(
        pdf,
        [
            ("出租方（甲方）", company),
            ("承租方（乙方）", tenant.name + (f"（同住人：{c.co_tenants}）" if c.co_tenants else "")),
            ("房屋", f"{project.name} {room.number}（{project.address or project.name}）"),
            ("租期", f"{c.start_date} 至 {c.end_date}"),
            ("月租金", f"{_yuan(c.monthly_rent)}（{capital_yuan(c.monthly_rent)}）"),
            ("押金", f"{_yuan(c.deposit)}（{capital_yuan(c.deposit)}）"),
            ("缴费周期", f"{c.cycle.label}，{c.bill_mode.label}出账"),
            ("签约日期", c.signed_on.isoformat()),
        ],
    )
    pdf.ln(4)
    pdf.set_font("cjk", "B", 12)
    pdf.cell(0, 8, "合同条款", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", "", 11)
    own = [t for t in signing.terms_of(project).splitlines() if t.strip()]
    for term in own or DEFAULT_TERMS:
        pdf.multi_cell(0, 7, term, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.cell(90, 8, "甲方（盖章）：")
    pdf.cell(0, 8, "乙方（签字）：", new_x="LMARGIN", new_y="NEXT")
    _footer(pdf, _who(session, printed_by))
    return Document(f"租赁合同-{c.number}.pdf", bytes(pdf.output()))
