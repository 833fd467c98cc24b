"""The stored form of an images field: file names joined by commas ("a.png,b.jpg")."""

from __future__ import annotations

from typing import Any


def split_images(value: Any) -> list[str]:
    """Stored image names of an ``images`` field ("a.png,b.jpg")."""
    return [n.strip() for n in str(value or "").split(",") if n.strip()]
