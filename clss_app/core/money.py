"""Money is Decimal yuan, rounded half-up to the cent; sums done by the database come as whole cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    """``value`` rounded half-up to the cent (the rule for every bill)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def from_cents(n: int) -> Decimal:
    """Whole cents (a database sum) as yuan."""
    return Decimal(n) / 100
