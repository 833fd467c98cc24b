"""How a list shows a column, from the field's kind alone (issue 18, item 5): its width class, its
alignment, whether long text is cut with an ellipsis, and the colour of a state's badge.

One mapping for every generated list; the classes are styled in assets/admin.css (``.clss-w-*``,
``.clss-badge[data-tone=*]``). Plain Python: unit-tested without Reflex.
"""

from __future__ import annotations

from dataclasses import dataclass

from clss_app.admin.fields import FieldSpec

# Text up to this many characters is a short code (a number, a room, a phone): shown whole.
SHORT_TEXT = 24
Tone = str  # "amber" | "green" | "gray" | "red" | "blue"

# A state's colour by what it means, read from its Chinese label: the first rule that matches wins.
# Bad news first (逾期 / 驳回 / 欠费 …), then what is over (已关闭 / 已作废 …), then what is done or running,
# then what waits (待… / 未…). Anything else is a neutral blue.
_TONES: tuple[tuple[Tone, tuple[str, ...], tuple[str, ...]], ...] = (
    # (tone, words anywhere in the label, prefixes)
    ("red", ("逾期", "驳回", "欠费", "拒绝", "失败", "违约", "坏账", "异常"), ()),
    (
        "gray",
        (
            "关闭",
            "作废",
            "取消",
            "撤销",
            "撤回",
            "到期",
            "停用",
            "禁用",
            "过期",
            "失效",
            "下架",
            "已退",
            "已转",
            "终止",
            "注销",
            "锁定",
            "不可租",
        ),
        (),
    ),
    (
        "green",
        (
            "完成",
            "已收",
            "执行中",
            "已入住",
            "通过",
            "生效",
            "启用",
            "正常",
            "已发布",
            "已支付",
            "已付",
            "成功",
            "空闲",
            "保障中",
            "在租",
            "已看房",
            "已解决",
            "已报名",
            "已发送",
            "已导入",
        ),
        (),
    ),
    ("amber", ("部分", "审核中", "处理中", "草稿"), ("待", "未")),
)
BADGE_TONES = ("red", "gray", "green", "amber")  # an enum with none of these among its labels is no state


def tone_of(label: str) -> Tone:
    """The badge colour of a state named ``label``: 待… / 未… amber, 已完成 / 已收 / 执行中 green,
    已关闭 / 已作废 gray, 逾期 / 驳回 / 欠费 red, anything else blue."""
    for tone, words, prefixes in _TONES:
        if any(w in label for w in words) or label.startswith(prefixes):
            return tone
    return "blue"


def tones(spec: FieldSpec) -> dict[str, Tone]:
    """Each label of a state column and its badge colour. Empty for any other kind, and for an enum
    none of whose labels means a stage (按月 / 按季, 整租 / 合租): a kind, shown as plain text."""
    if spec.kind != "enum" or spec.labels is not None:
        return {}
    out = {label: tone_of(label) for _, label in spec.choices()}
    return out if any(t in BADGE_TONES for t in out.values()) else {}


@dataclass(frozen=True)
class ColumnLook:
    width: str  # the CSS class giving the column its width: clss-w-<kind>
    align: str  # "left" | "right"
    ellipsis: bool  # long text: cut to the column's max width, the full text in a tooltip
    badge: bool  # a state: a coloured badge

    @property
    def classes(self) -> str:
        return " ".join(c for c in (self.width, "clss-num" if self.align == "right" else "") if c)


def column_look(spec: FieldSpec) -> ColumnLook:
    """How the list shows ``spec``'s column: widths by kind (a date ~100 px, money ~110 px on the right
    with tabular digits, a state a badge, a short code whole, long text cut at a max width)."""
    k = spec.kind
    if spec.labels is not None:  # codes shown by their Chinese names: a word, maybe long
        return ColumnLook("clss-w-text", "left", True, False)
    if k == "money":
        return ColumnLook("clss-w-money", "right", False, False)
    if k in ("int", "decimal", "percent"):
        return ColumnLook("clss-w-number", "right", False, False)
    if k == "date":
        return ColumnLook("clss-w-month" if spec.month else "clss-w-date", "left", False, False)
    if k == "datetime":
        return ColumnLook("clss-w-datetime", "left", False, False)
    if k == "enum":
        return ColumnLook("clss-w-state", "left", False, bool(tones(spec)))
    if k == "bool":
        return ColumnLook("clss-w-bool", "left", False, False)
    if k in ("image",):
        return ColumnLook("clss-w-image", "left", False, False)
    if k in ("fk", "many", "file", "images"):
        return ColumnLook("clss-w-ref", "left", True, False)
    if k == "str" and spec.max_length is not None and spec.max_length <= SHORT_TEXT:
        return ColumnLook("clss-w-code", "left", False, False)
    return ColumnLook("clss-w-text", "left", True, False)
