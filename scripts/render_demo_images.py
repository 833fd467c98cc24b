"""Render the demo's illustrations once: building facades for banners, room interiors for covers.

    python scripts/render_demo_images.py      # writes clss_app/demo_images/*.png (committed)

No imaging library is needed (the project does not depend on Pillow and the machine has no CJK font):
a small rasteriser of flat shapes and gradients writes the PNGs itself. The seed (clss_app/demo.py,
clss_app/demo_marketing.py) stores these files as the media of banners, events and rooms; the title of
a banner or event shows next to its image in the pages, so the pictures carry no text.
"""

from __future__ import annotations

import math
import random
import struct
import sys
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "clss_app" / "demo_images"
RGB = tuple[int, int, int]


class Canvas:
    def __init__(self, w: int, h: int, colour: RGB = (255, 255, 255)) -> None:
        self.w, self.h = w, h
        self.rows = [bytearray(bytes(colour) * w) for _ in range(h)]

    def span(self, y: int, x0: float, x1: float, c: RGB) -> None:
        a, b = max(0, round(x0)), min(self.w, round(x1))
        if 0 <= y < self.h and b > a:
            self.rows[y][a * 3 : b * 3] = bytes(c) * (b - a)

    def rect(self, x0: float, y0: float, x1: float, y1: float, c: RGB) -> None:
        for y in range(max(0, int(y0)), min(self.h, int(y1))):
            self.span(y, x0, x1, c)

    def vgradient(self, x0: float, y0: float, x1: float, y1: float, top: RGB, bottom: RGB) -> None:
        n = max(1, int(y1) - int(y0))
        for i, y in enumerate(range(int(y0), int(y1))):
            t = i / n
            self.span(y, x0, x1, mix(top, bottom, t))

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, c: RGB) -> None:
        for y in range(int(cy - ry), int(cy + ry) + 1):
            d = 1 - ((y + 0.5 - cy) / ry) ** 2
            if d > 0:
                dx = rx * math.sqrt(d)
                self.span(y, cx - dx, cx + dx, c)

    def rounded(self, x0: float, y0: float, x1: float, y1: float, r: float, c: RGB) -> None:
        for y in range(int(y0), int(y1)):
            dy = max(y0 + r - (y + 0.5), (y + 0.5) - (y1 - r), 0)
            inset = r - math.sqrt(max(r * r - dy * dy, 0)) if dy else 0
            self.span(y, x0 + inset, x1 - inset, c)

    def polygon(self, pts: list[tuple[float, float]], c: RGB) -> None:
        """A convex or simple polygon, filled by scanlines (even-odd)."""
        ys = [p[1] for p in pts]
        for y in range(max(0, int(min(ys))), min(self.h, int(max(ys)) + 1)):
            yc, xs = y + 0.5, []
            for (xa, ya), (xb, yb) in zip(pts, pts[1:] + pts[:1]):
                if (ya <= yc < yb) or (yb <= yc < ya):
                    xs.append(xa + (yc - ya) * (xb - xa) / (yb - ya))
            xs.sort()
            for a, b in zip(xs[::2], xs[1::2]):
                self.span(y, a, b, c)

    def png(self) -> bytes:
        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        raw = b"".join(b"\x00" + bytes(r) for r in self.rows)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def shade(c: RGB, t: float) -> RGB:
    return mix(c, (0, 0, 0), t) if t > 0 else mix(c, (255, 255, 255), -t)


# ---------------------------------------------------------------- building facades (banners)

SKIES = [  # (top, horizon, sun, facade)
    ((70, 130, 220), (190, 225, 250), (255, 236, 160), (236, 226, 210)),  # clear day
    ((250, 140, 90), (255, 214, 160), (255, 245, 200), (214, 190, 170)),  # sunset
    ((30, 50, 110), (120, 110, 170), (250, 250, 235), (120, 130, 160)),  # evening, lit windows
    ((110, 190, 200), (220, 245, 240), (255, 250, 210), (245, 240, 232)),  # morning
    ((90, 110, 200), (200, 190, 240), (255, 230, 200), (225, 215, 235)),  # lilac
    ((60, 160, 120), (200, 240, 210), (255, 250, 220), (240, 236, 222)),  # spring green
]


def facade(w: int, h: int, k: int) -> Canvas:
    rng = random.Random(100 + k)
    top, horizon, sun, wall = SKIES[k % len(SKIES)]
    night = k % len(SKIES) == 2
    cv = Canvas(w, h)
    ground = int(h * 0.84)
    cv.vgradient(0, 0, w, ground, top, horizon)
    cv.ellipse(w * (0.12 + 0.1 * (k % 3)), h * 0.22, h * 0.09, h * 0.09, sun)
    # a far skyline, lighter than the facades in front of it
    far = mix(horizon, top, 0.35)
    x = 0.0
    while x < w:
        bw, bh = rng.randint(30, 70), rng.randint(int(h * 0.25), int(h * 0.55))
        cv.rect(x, ground - bh, x + bw, ground, far)
        x += bw + rng.randint(0, 12)
    # two or three apartment blocks with window grids
    blocks = [(w * 0.42, 0.30, 0.72), (w * 0.66, 0.18, 0.58), (w * 0.86, 0.14, 0.66)][: 2 + k % 2]
    for n, (bx, bw_frac, bh_frac) in enumerate(blocks):
        bw, bh = w * bw_frac, h * bh_frac
        x0, y0 = bx - bw / 2, ground - bh
        face = shade(wall, 0.06 * n)
        cv.rect(x0, y0, x0 + bw, ground, face)
        cv.rect(x0 - 4, y0 - 8, x0 + bw + 4, y0, shade(face, 0.25))  # roof slab
        cv.rect(x0 + bw * 0.82, y0, x0 + bw, ground, shade(face, 0.12))  # side in shade
        cols, rows = max(3, int(bw // 34)), max(3, int(bh // 30))
        cw, rh = bw * 0.82 / cols, (bh - 36) / rows
        for r in range(rows):
            for c in range(cols):
                lit = rng.random() < (0.7 if night else 0.15)
                glass = (255, 214, 120) if lit else mix((120, 160, 200), top, 0.3)
                wx, wy = x0 + c * cw + cw * 0.22, y0 + 12 + r * rh + rh * 0.2
                cv.rect(wx, wy, wx + cw * 0.56, wy + rh * 0.55, glass)
                cv.rect(wx - 2, wy + rh * 0.55, wx + cw * 0.56 + 2, wy + rh * 0.55 + 3, shade(face, 0.2))  # sill
        door_x = x0 + bw * 0.41 - 14
        cv.rect(door_x, ground - 34, door_x + 28, ground, shade(face, 0.45))
        cv.rect(door_x - 8, ground - 40, door_x + 36, ground - 34, shade(face, 0.3))  # canopy
    # ground, path and trees
    cv.vgradient(0, ground, w, h, (150, 190, 120) if not night else (60, 90, 70), (110, 150, 90))
    cv.rect(0, ground, w, ground + 5, (200, 200, 195))
    for tx in (w * 0.06, w * 0.2, w * 0.55, w * 0.97)[: 3 + k % 2]:
        cv.rect(tx - 3, ground - 28, tx + 3, ground + 4, (110, 80, 60))
        cv.ellipse(tx, ground - 40, 22, 26, (70, 150, 90) if not night else (40, 90, 60))
        cv.ellipse(tx - 8, ground - 46, 12, 13, (95, 175, 110) if not night else (55, 110, 75))
    # a soft band on the left where a title would sit in the APP
    return cv


# ---------------------------------------------------------------- room interiors (covers)

WALLS = [  # (wall top, wall bottom, floor, accent)
    ((246, 240, 230), (232, 222, 206), (196, 160, 120), (70, 120, 180)),
    ((232, 240, 236), (214, 228, 220), (180, 150, 115), (220, 120, 80)),
    ((240, 236, 246), (224, 218, 236), (170, 135, 105), (90, 160, 120)),
    ((250, 244, 236), (236, 226, 214), (150, 120, 95), (200, 80, 90)),
]


def interior(w: int, h: int, k: int, bedroom: bool) -> Canvas:
    rng = random.Random(200 + k)
    wall_top, wall_bottom, floor, accent = WALLS[k % len(WALLS)]
    cv = Canvas(w, h)
    horizon = int(h * 0.72)
    cv.vgradient(0, 0, w, horizon, wall_top, wall_bottom)
    cv.vgradient(0, horizon, w, h, floor, shade(floor, 0.18))
    for y in range(horizon + 14, h, 16):  # floor boards
        cv.rect(0, y, w, y + 1, shade(floor, 0.25))
    cv.rect(0, horizon - 6, w, horizon, (250, 250, 248))  # skirting
    # window with sky, frame and curtains
    wx0, wx1, wy0, wy1 = w * 0.08, w * 0.34, h * 0.12, h * 0.56
    cv.vgradient(wx0, wy0, wx1, wy1, (120, 180, 235), (215, 236, 250))
    cv.ellipse(wx0 + (wx1 - wx0) * 0.7, wy0 + 30, 16, 16, (255, 246, 200))
    cv.rect(wx0, wy0 + (wy1 - wy0) * 0.72, wx1, wy1, (170, 200, 170))  # trees outside
    frame = (250, 250, 250)
    for x in (wx0, (wx0 + wx1) / 2, wx1):
        cv.rect(x - 3, wy0, x + 3, wy1, frame)
    for y in (wy0, wy1):
        cv.rect(wx0 - 3, y - 3, wx1 + 3, y + 3, frame)
    curtain = shade(accent, -0.45)
    cv.polygon([(wx0 - 26, wy0 - 10), (wx0 + 6, wy0 - 10), (wx0 - 4, wy1 + 30), (wx0 - 30, wy1 + 30)], curtain)
    cv.polygon([(wx1 - 6, wy0 - 10), (wx1 + 26, wy0 - 10), (wx1 + 30, wy1 + 30), (wx1 + 4, wy1 + 30)], curtain)
    cv.rect(wx0 - 34, wy0 - 14, wx1 + 34, wy0 - 9, (150, 150, 150))  # rail
    # a framed picture
    px = w * 0.55 if bedroom else w * 0.62
    cv.rect(px, h * 0.14, px + 90, h * 0.14 + 62, (90, 80, 70))
    cv.vgradient(px + 6, h * 0.14 + 6, px + 84, h * 0.14 + 56, shade(accent, -0.6), shade(accent, -0.2))
    cv.polygon([(px + 6, h * 0.14 + 56), (px + 40, h * 0.14 + 24), (px + 84, h * 0.14 + 56)], shade(accent, 0.1))
    if bedroom:
        # bed: headboard, mattress, blanket, pillows
        bx0, bx1 = w * 0.40, w * 0.80
        cv.rounded(bx0, h * 0.40, bx1, horizon + 10, 12, (140, 105, 80))
        cv.polygon(
            [(bx0 - 10, horizon - 6), (bx1 + 10, horizon - 6), (bx1 + 40, h * 0.93), (bx0 - 40, h * 0.93)],
            (252, 252, 250),
        )
        cv.polygon(
            [(bx0 - 4, horizon + 22), (bx1 + 4, horizon + 22), (bx1 + 42, h * 0.95), (bx0 - 42, h * 0.95)],
            accent,
        )
        cv.rect(bx0 - 44, h * 0.95, bx1 + 44, h * 0.97, shade(accent, 0.25))
        cv.rounded(bx0 + 14, horizon - 26, bx0 + 100, horizon + 8, 10, (245, 245, 240))
        cv.rounded(bx1 - 100, horizon - 26, bx1 - 14, horizon + 8, 10, (245, 245, 240))
        # bedside table and lamp
        tx = bx1 + 52
        cv.rect(tx, horizon - 40, tx + 56, horizon + 20, (170, 130, 95))
        cv.rect(tx + 4, horizon - 14, tx + 52, horizon - 11, shade((170, 130, 95), 0.3))
        cv.rect(tx + 26, horizon - 72, tx + 30, horizon - 40, (80, 80, 80))
        cv.polygon(
            [(tx + 12, horizon - 72), (tx + 44, horizon - 72), (tx + 38, horizon - 98), (tx + 18, horizon - 98)],
            (255, 226, 150),
        )
    else:
        # sofa with cushions, rug, coffee table
        sx0, sx1 = w * 0.42, w * 0.84
        sofa = accent
        cv.ellipse((sx0 + sx1) / 2, h * 0.95, (sx1 - sx0) * 0.62, h * 0.06, shade(floor, -0.5))  # rug
        cv.rounded(sx0, h * 0.46, sx1, horizon + 20, 18, shade(sofa, 0.1))  # back
        cv.rounded(sx0 - 14, h * 0.60, sx1 + 14, horizon + 40, 14, sofa)  # seat
        cv.rounded(sx0 - 26, h * 0.55, sx0 + 14, horizon + 44, 14, shade(sofa, 0.18))  # arms
        cv.rounded(sx1 - 14, h * 0.55, sx1 + 26, horizon + 44, 14, shade(sofa, 0.18))
        for i, cx in enumerate((sx0 + 50, (sx0 + sx1) / 2, sx1 - 50)):
            cv.rounded(cx - 30, h * 0.50, cx + 30, h * 0.50 + 46, 10, (250, 236, 200) if i % 2 else (240, 240, 236))
        cv.rect(sx0 - 10, horizon + 40, sx0 - 4, horizon + 50, (90, 70, 60))
        cv.rect(sx1 + 4, horizon + 40, sx1 + 10, horizon + 50, (90, 70, 60))
        tx = (sx0 + sx1) / 2
        cv.rounded(tx - 70, h * 0.86, tx + 70, h * 0.89, 3, (120, 90, 70))
        cv.rect(tx - 60, h * 0.89, tx - 55, h * 0.98, (120, 90, 70))
        cv.rect(tx + 55, h * 0.89, tx + 60, h * 0.98, (120, 90, 70))
        cv.ellipse(tx + 30, h * 0.85, 10, 5, (250, 250, 250))  # a cup
    # a plant in the corner
    pxp = w * 0.04 if rng.random() < 0.5 else w * 0.94
    cv.rect(pxp - 16, horizon - 10, pxp + 16, horizon + 30, (200, 110, 80))
    for dx, dy, r in ((-14, -30, 16), (12, -38, 18), (0, -58, 18), (-4, -20, 14)):
        cv.ellipse(pxp + dx, horizon + dy, r * 0.8, r, (70, 150, 90) if dx % 2 else (90, 170, 105))
    # ceiling light
    cv.rect(w * 0.62 - 1, 0, w * 0.62 + 1, h * 0.06, (120, 120, 120))
    cv.ellipse(w * 0.62, h * 0.08, 26, 10, (255, 240, 200))
    return cv


# ---------------------------------------------------------------- community events (event covers)


def event(w: int, h: int, k: int) -> Canvas:
    """A common room set up for an event: a screen and chairs (观影) or a table with cakes (烘焙)."""
    wall_top, wall_bottom, floor, accent = WALLS[(k + 1) % len(WALLS)]
    cv = Canvas(w, h)
    horizon = int(h * 0.7)
    cv.vgradient(0, 0, w, horizon, shade(wall_top, 0.05), wall_bottom)
    cv.vgradient(0, horizon, w, h, floor, shade(floor, 0.2))
    # bunting
    for i in range(14):
        x = i * w / 13
        colour = [accent, (250, 200, 80), (90, 170, 200), (230, 110, 110)][i % 4]
        cv.polygon([(x - 16, 18 + 6 * math.sin(i)), (x + 16, 18 + 6 * math.sin(i + 1)), (x, 50)], colour)
    if k % 2 == 0:
        cv.rect(w * 0.25, h * 0.18, w * 0.75, h * 0.56, (40, 44, 52))
        cv.vgradient(w * 0.25 + 8, h * 0.18 + 8, w * 0.75 - 8, h * 0.56 - 8, (90, 140, 220), (240, 180, 120))
        cv.ellipse(w * 0.5, h * 0.40, 30, 30, (255, 240, 200))
        for row, y in enumerate((h * 0.74, h * 0.86)):
            for i in range(7):
                x = w * 0.14 + i * w * 0.12 + (row * w * 0.06)
                cv.rounded(x - 24, y - 26, x + 24, y + 8, 8, shade(accent, 0.1 * row))
                cv.rect(x - 20, y + 8, x - 16, y + 26, (60, 60, 60))
                cv.rect(x + 16, y + 8, x + 20, y + 26, (60, 60, 60))
    else:
        cv.rect(w * 0.12, h * 0.58, w * 0.88, h * 0.64, (180, 140, 100))
        cv.rect(w * 0.12, h * 0.64, w * 0.88, h * 0.72, (250, 250, 248))
        for i, x in enumerate((w * 0.24, w * 0.42, w * 0.6, w * 0.76)):
            cv.ellipse(x, h * 0.58, 46, 10, (230, 230, 230))
            cv.rect(x - 36, h * 0.42, x + 36, h * 0.57, (240, 200, 150) if i % 2 else (250, 180, 190))
            cv.ellipse(x, h * 0.42, 36, 9, (255, 245, 235))
            cv.rect(x - 2, h * 0.30, x + 2, h * 0.40, (250, 220, 120))
            cv.ellipse(x, h * 0.29, 4, 7, (255, 160, 60))
        cv.rect(w * 0.16, h * 0.72, w * 0.19, h * 0.98, (150, 110, 80))
        cv.rect(w * 0.81, h * 0.72, w * 0.84, h * 0.98, (150, 110, 80))
    return cv


def render() -> dict[str, bytes]:
    out = {}
    for k in range(6):
        out[f"banner-{k + 1}.png"] = facade(750, 320, k).png()
    for k in range(4):
        out[f"bedroom-{k + 1}.png"] = interior(670, 320, k, bedroom=True).png()
        out[f"living-{k + 1}.png"] = interior(670, 320, k, bedroom=False).png()
    for k in range(2):
        out[f"event-{k + 1}.png"] = event(670, 320, k).png()
    return out


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, data in render().items():
        (OUT / name).write_bytes(data)
        total += len(data)
        print(f"{name}: {len(data) // 1024} KB")
    print(f"{total // 1024} KB in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
