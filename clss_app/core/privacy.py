"""Personal numbers: how a phone or a 身份证号 reads to someone who may not see it in full, and
whether a 身份证号 is one (GB 11643-1999: 18 characters, a real birth date, the ISO 7064 check digit)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from clss_app.core import clock

MaskKind = Literal["phone", "id_number"]
MASK_KINDS: tuple[MaskKind, ...] = ("phone", "id_number")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"  # the check character for (weighted sum mod 11)


def mask(kind: MaskKind, value: str) -> str:
    """``value`` with its middle hidden: 138****1234, 1101**********1234 (first 4 and last 4 kept).
    A value too short to keep both ends is hidden whole, so nothing of it shows."""
    keep = 3 if kind == "phone" else 4
    if not value:
        return value
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
