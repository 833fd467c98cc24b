"""The parameter catalogue: every 城市参数 and 企业参数 key, with its Chinese name, type, unit, range and help.

城市参数 are set by 超级管理员 per city, 企业参数 by a branch's 系统管理员 per company (manual: 系统管理 -
企业参数管理: the settlement account, 代扣 (withholding) settings, the blockchain listing's 来源平台
名称/编码, the default billing mode). A key outside the catalogue cannot be stored; a value is checked
by its key's type and range and stored in one canonical spelling; code reads a parameter through
``city_value`` / ``enterprise_value``, typed, with the catalogue's default when a city or company has
not set it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from sqlmodel import Session, select

from models import CityParam, EnterpriseParam

ParamKind = Literal["int", "decimal", "bool", "choice", "text"]
Level = Literal["city", "enterprise"]
TRUE_WORDS, FALSE_WORDS = ("是", "true", "1", "yes", "开启"), ("否", "false", "0", "no", "关闭")


@dataclass(frozen=True)
class Param:
    key: str
    name: str
    kind: ParamKind
    default: str
    unit: str = ""
    low: Decimal | None = None  # int / decimal: the range, both ends included
    high: Decimal | None = None
    choices: tuple[str, ...] = ()
    pattern: str = ""  # text: the whole value must match
    pattern_text: str = ""  # what the pattern asks for, in words
    help: str = ""

    @property
    def range_text(self) -> str:
        if self.kind in ("int", "decimal") and self.low is not None and self.high is not None:
            return f"{self.low}–{self.high}"
        if self.kind == "choice":
            return " / ".join(self.choices)
        return "是 / 否" if self.kind == "bool" else self.pattern_text


def _d(n: str | int) -> Decimal:
    return Decimal(str(n))


CITY: tuple[Param, ...] = (
    Param(
        "late_fee_grace_days",
        "滞纳金宽限天数",
        "int",
        "3",
        "天",
        _d(0),
        _d(30),
        help="账单到期后多少天内不计滞纳金（项目可另行设置）",
    ),
    Param(
        "rent_guide_price",
        "租金指导价",
        "decimal",
        "85",
        "元/㎡·月",
        _d(0),
        _d(1000),
        help="本市保障性租赁住房的租金指导价，按建筑面积计",
    ),
    Param(
        "deposit_months_max",
        "押金上限",
        "int",
        "1",
        "个月租金",
        _d(0),
        _d(3),
        help="押金最多为几个月的租金",
    ),
    Param("meter_reading_day", "抄表日", "int", "25", "日", _d(1), _d(28), help="每月抄水电表的日子（1–28 日）"),
    Param(
        "meter_jump_ratio",
        "用量异常倍数",
        "decimal",
        "3",
        "倍",
        _d("1.5"),
        _d(20),
        help="抄表时本月用量超过该表近3月平均用量的几倍即提示异常",
    ),
    Param(
        "filing_connected",
        "对接监管平台",
        "bool",
        "否",
        help="本市是否已对接住房租赁监管平台；是：合同可在“网签和备案”中备案、撤销备案",
    ),
)

ENTERPRISE: tuple[Param, ...] = (
    Param(
        "billing_mode",
        "默认账单模式",
        "choice",
        "对日",
        choices=("对日", "月初"),
        help="新合同默认的计费方式：对日按起租日，月初按自然月",
    ),
    Param("withhold_enabled", "代扣开启", "bool", "否", help="企业与银行签订委托代收协议后开启签约代扣"),
    Param(
        "withhold_days",
        "代扣提前天数",
        "int",
        "5",
        "天",
        _d(0),
        _d(15),
        help="账单到期前几天发起代扣",
    ),
    Param(
        "entrust_project_no",
        "委托项目编号",
        "text",
        "",
        pattern=r"\d{9}",
        pattern_text="9 位数字",
        help="签订委托代收协议后银行提供的 9 位委托项目编号",
    ),
    Param(
        "collect_account",
        "代收账号",
        "text",
        "",
        pattern=r"\d{12,25}",
        pattern_text="12–25 位数字的对公账号",
        help="委托代收协议绑定的企业收款账号，代扣款项直接转入该账号",
    ),
    Param(
        "consign_enabled",
        "存房易开通",
        "bool",
        "否",
        help="开通后本企业可收到本市房东在建融家园APP发起的存房申请，审核、拟定存房合同",
    ),
    Param(
        "contract_prefix",
        "合同编号前缀",
        "text",
        "HT",
        pattern=r"[A-Z]{1,6}",
        pattern_text="1–6 个大写字母",
        help="本企业合同编号的前缀，如 HT",
    ),
    Param(
        "source_platform_name",
        "来源平台名称",
        "text",
        "",
        pattern=r".{1,32}",
        pattern_text="不超过 32 个字",
        help="房源在区块链上发布时必填",
    ),
    Param(
        "source_platform_code",
        "来源平台编码",
        "text",
        "",
        pattern=r"[A-Za-z0-9_-]{1,32}",
        pattern_text="不超过 32 位的字母、数字",
        help="房源在区块链上发布时必填",
    ),
    # 报修时限 (SLA) per repair category: a 派工's due time is the dispatch time plus these hours.
    *(
        Param(
            f"repair_sla_{code}",
            f"报修时限·{label}",
            "int",
            hours,
            "小时",
            _d(1),
            _d(720),
            help=f"{label}类报修派工后须在多少小时内回单，超时在待我处理和房态图上标记",
        )
        for code, label, hours in (
            ("utilities", "水电", "24"),
            ("appliance", "家电", "48"),
            ("lock", "门锁", "4"),
            ("network", "网络", "24"),
            ("other", "其他", "72"),
        )
    ),
)

CATALOGUE: dict[Level, dict[str, Param]] = {
    "city": {p.key: p for p in CITY},
    "enterprise": {p.key: p for p in ENTERPRISE},
}


def param(level: Level, key: str) -> Param | None:
    return CATALOGUE[level].get(key)


def names(level: Level) -> dict[str, str]:
    """{key: 中文名} of one level's parameters, for the pages."""
    return {p.key: p.name for p in CATALOGUE[level].values()}


def key_help(level: Level) -> str:
    return "可选：" + "、".join(f"{p.key}（{p.name}）" for p in CATALOGUE[level].values())


def parse(p: Param, raw: str) -> int | Decimal | bool | str:
    """The typed value of ``raw``; ValueError with the Chinese message shown at the field."""
    text = (raw or "").strip()
    unit = f"（单位：{p.unit}）" if p.unit else ""
    wrong = f"{p.name}须为 {p.range_text} 之间的{'整数' if p.kind == 'int' else '数'}{unit}"
    if p.kind in ("int", "decimal"):
        try:
            number = Decimal(text.removesuffix(p.unit).strip()) if text else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or (p.kind == "int" and number != number.to_integral_value()):
            raise ValueError(wrong)
        if (p.low is not None and number < p.low) or (p.high is not None and number > p.high):
            raise ValueError(wrong)
        return int(number) if p.kind == "int" else number
    if p.kind == "bool":
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ValueError(f"{p.name}须为 是 或 否")
    if p.kind == "choice":
        if text not in p.choices:
            raise ValueError(f"{p.name}须为 {' / '.join(p.choices)} 之一")
        return text
    if p.pattern and not re.fullmatch(p.pattern, text):
        raise ValueError(f"{p.name}须为{p.pattern_text}")
    return text


def canonical(p: Param, raw: str) -> str:
    """The one spelling stored: ``3`` not ``03``, ``是`` not ``true``, ``85.5`` not ``85.50``."""
    value = parse(p, raw)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def problems(level: Level, key: str, value: str) -> dict[str, str]:
    """{field: message} of a parameter about to be saved (``key``, ``value``)."""
    p = param(level, (key or "").strip())
    if p is None:
        if not (key or "").strip():
            return {}  # the engine already says 参数名不能为空
        return {"key": f"未知参数“{key}”：参数名须为目录中的一项（{key_help(level).removeprefix('可选：')}）"}
    try:
        parse(p, value)
    except ValueError as exc:
        return {"value": str(exc)}
    return {}


def shown(level: Level, key: str, value: str) -> str:
    """A stored value as a person reads it: with its unit (``3 天``, ``85 元/㎡·月``)."""
    p = param(level, key)
    if p is None or value in ("", None):
        return value or ""
    return f"{value} {p.unit}" if p.unit else value


def _typed(p: Param, stored: str | None) -> int | Decimal | bool | str:
    try:
        return parse(p, stored if stored is not None else p.default)
    except ValueError:  # a row stored before the catalogue checked it: the default, never a crash
        return parse(p, p.default) if p.default or p.kind != "text" else ""


def city_value(session: Session, city: str, key: str) -> int | Decimal | bool | str:
    """The typed value of a 城市参数 in ``city`` (the catalogue's default if the city has none)."""
    p = CATALOGUE["city"][key]  # KeyError: a key outside the catalogue is a programming error
    stored = session.exec(select(CityParam.value).where(CityParam.city == city, CityParam.key == key)).first()
    return _typed(p, stored)


def enterprise_value(session: Session, company_id: int, key: str) -> int | Decimal | bool | str:
    """The typed value of a 企业参数 of a company (the catalogue's default if it has none)."""
    p = CATALOGUE["enterprise"][key]
    stored = session.exec(
        select(EnterpriseParam.value).where(EnterpriseParam.company_id == company_id, EnterpriseParam.key == key)
    ).first()
    return _typed(p, stored)


def shown_city(value: str, key: str) -> str:
    return shown("city", key, value)


def shown_enterprise(value: str, key: str) -> str:
    return shown("enterprise", key, value)
