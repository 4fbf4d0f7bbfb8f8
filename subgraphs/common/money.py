"""Money is stored as integer cents, so sums are exact, and published as a two-place Decimal."""

from __future__ import annotations

from decimal import Decimal

_CENT = Decimal("0.01")


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) * _CENT).quantize(_CENT)
