"""Personal numbers: how a phone, a 身份证号 or a bank card reads to someone who may not see it in full,
and whether a 身份证号 is one (GB 11643-1999: 18 characters, a real birth date, the ISO 7064 check digit)
and a bank card number one (16–19 digits, the Luhn check digit last)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from clss_app.core import clock

MaskKind = Literal["phone", "id_number", "bank_card"]
MASK_KINDS: tuple[MaskKind, ...] = ("phone", "id_number", "bank_card")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"  # the check character for (weighted sum mod 11)


def mask(kind: MaskKind, value: str) -> str:
    """``value`` with its middle hidden: 138****1234, 1101**********1234 (first 4 and last 4 kept).
    A value too short to keep both ends is hidden whole, so nothing of it shows. A bank card reads as
    cards are printed, 6222 **** **** 1234, whatever its length (the length tells nothing either)."""
    keep = 3 if kind == "phone" else 4
    if not value:
        return value
    if kind == "bank_card" and len(value) >= 12:
        return f"{value[:4]} **** **** {value[-4:]}"
    if len(value) < keep + 4 + 2:
        return "*" * len(value)
    return value[:keep] + "*" * (len(value) - keep - 4) + value[-4:]


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def normalise_id_number(value: str) -> str:
    return value.strip().upper()


def id_number_problem(value: str, today: dt.date | None = None) -> str:
    """Why ``value`` is not a valid 18-character 身份证号, in Chinese for the field; "" if it is one.
    A lower-case x is accepted (people type it so); ``normalise_id_number`` stores it as X."""
    value = normalise_id_number(value)
    if len(value) == 15 and value.isdigit():
        return "身份证号须为 18 位（15 位旧号码请换算为 18 位）"
    if len(value) != 18:
        return f"身份证号须为 18 位（当前 {len(value)} 位）"
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return "身份证号前 17 位须为数字，末位为数字或 X"
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "身份证号中的出生日期不存在"
    if born > (today or clock.today()) or born.year < 1900:
        return "身份证号中的出生日期不合理"
    if check_digit(value[:17]) != value[17]:
        return "身份证号校验位不正确"
    return ""


def normalise_card(value: str) -> str:
    """A card number as typed (6222 0212 3456 7890, 6222-0212-…) to its digits."""
    return "".join(c for c in (value or "") if c not in " -\t")


def luhn_ok(digits: str) -> bool:
    """The Luhn (ISO/IEC 7812) check: from the right, every second digit doubled (less 9 past 9), sum ≡ 0 mod 10."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_problem(value: str) -> str:
    """Why ``value`` is not a bank card number, in Chinese for the field; "" if it is one."""
    digits = normalise_card(value)
    if not digits.isdigit() or not 16 <= len(digits) <= 19:
        return f"银行卡号须为 16–19 位数字（当前 {len(digits)} 位）" if digits.isdigit() else "银行卡号只能包含数字"
    if not luhn_ok(digits):
        return "银行卡号校验位错误"
    return ""
