"""Tiny real image files made in memory (no imaging library needed)."""

from clss_app.core.media import solid_png as png  # noqa: F401
