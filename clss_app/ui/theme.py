"""Colours and sizes of the admin, in one place."""

SIDEBAR_BG = "#0f1e3a"
SIDEBAR_HOVER = "rgba(255,255,255,0.06)"
SIDEBAR_ACTIVE = "#2563eb"
SIDEBAR_TEXT = "rgba(255,255,255,0.78)"
SIDEBAR_MUTED = "rgba(255,255,255,0.42)"
PAGE_BG = "#f3f5f9"
BORDER = "#e5e8ef"
TEXT_MUTED = "#6b7280"
FONT = (
    '"PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", '
    'system-ui, -apple-system, "Segoe UI", sans-serif'
)
SIDEBAR_WIDTH = "224px"
HEADER_HEIGHT = "56px"

STATUS_COLOURS = {  # room status → badge colour (Radix colour names)
    "vacant": "green",
    "locked": "gray",
    "reserved": "amber",
    "signed": "cyan",
    "occupied": "blue",
}
