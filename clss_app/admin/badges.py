"""The colour of a state badge, by what the stored state code means (the same code means the same thing
in every model: ``pending`` waits for someone, ``void`` is a dead end). Radix colour names."""

from __future__ import annotations

from typing import Any

WAITING = "amber"  # someone has to act
GOING = "blue"  # under way, nothing wrong
GOOD = "green"  # done, or in force
ENDED = "gray"  # over, nothing more to do
BAD = "red"  # refused, lost

TONES = {
    **dict.fromkeys(
        (
            "pending",
            "pending_review",
            "level1",
            "level2",
            "unconfirmed",
            "scheduled",
            "refund_due",
            "offline_refund",
            "open",
            "unpaid",
            "reserved",
        ),
        WAITING,
    ),
    **dict.fromkeys(
        ("signed", "confirmed", "partly_paid", "in_progress", "going", "occupied", "draft"),
        GOING,
    ),
    **dict.fromkeys(
        (
            "active",
            "paid",
            "published",
            "approved",
            "applied",
            "visited",
            "converted",
            "in_force",
            "done",
            "succeeded",
            "sent",
            "refunded",
            "imported",
            "vacant",
        ),
        GOOD,
    ),
    **dict.fromkeys(
        ("expired", "closed", "checked_out", "cancelled", "revoked", "withdrawn", "locked", "failed"),
        ENDED,
    ),
    **dict.fromkeys(("rejected", "void", "bad_debt"), BAD),
}


def tone(value: Any) -> str:
    """The badge colour of a state value (a member or its stored code); gray for an unknown one."""
    return TONES.get(str(getattr(value, "value", value) or ""), ENDED)
