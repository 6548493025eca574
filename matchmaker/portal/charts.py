"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable offline."""

from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ["#1f6feb", "#2da44e", "#bf8700", "#cf222e", "#8250df", "#0a7f86", "#6e7781"]


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def bar_chart(items: list[tuple[str, float]], title: str = "", width: int = 560,
              unit: str = "") -> Markup:
    """Horizontal bars, one per (label, value); ``unit`` follows each value ("%")."""
    unit = escape(unit)
    bar_h, gap, left = 22, 8, 150
    height = max(1, len(items)) * (bar_h + gap) + 30
    peak = max((v for _, v in items), default=0) or 1
    rows = []
    for i, (name, value) in enumerate(items):
        y = 24 + i * (bar_h + gap)
        w = (width - left - 70) * value / peak
        rows.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" '
            f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(name)}: {_fmt(value)}{unit}</title>'
            f'</rect><text x="{left + w + 6:.1f}" y="{y + 15}">{_fmt(value)}{unit}</text>'
        )
    return _svg(width, height, title, "".join(rows))


def line_chart(points: list[tuple[str, float]], title: str = "", width: int = 560,
               unit: str = "") -> Markup:
    """A line over (x label, value) points, e.g. a weekly trend; ``unit`` follows each value."""
    unit = escape(unit)
    height, pad = 220, 40
    top = max((v for _, v in points), default=0)
    peak = top or 1  # all zero: the line lies on the axis
    n = max(1, len(points) - 1)
    coords = [
        (pad + (width - 2 * pad) * i / n, height - pad - (height - 2 * pad) * v / peak)
        for i, (_, v) in enumerate(points)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    marks = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PALETTE[0]}">'
        f"<title>{escape(lbl)}: {_fmt(v)}{unit}</title></circle>"
        f'<text x="{x:.1f}" y="{height - pad + 16}" text-anchor="middle" class="axis">{escape(lbl)}</text>'
        for (x, y), (lbl, v) in zip(coords, points, strict=True)
    )
    axis = (
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#999"/>'
    )
    if top > 0:  # the scale's top is the largest value; with nothing to scale, no label
        axis += (f'<text x="{pad - 4}" y="{pad}" text-anchor="end" class="axis">'
                 f'{_fmt(top)}{unit}</text>')
    line = f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="2" points="{path}"/>'
    return _svg(width, height, title, axis + line + marks)


def funnel_chart(stages: list[tuple[str, float]], title: str = "", width: int = 560) -> Markup:
    """Centred bars that narrow stage by stage, with the share of the first stage."""
    bar_h, gap = 34, 6
    height = max(1, len(stages)) * (bar_h + gap) + 30
    top = max((v for _, v in stages), default=0) or 1
    first = stages[0][1] if stages and stages[0][1] else 0
    rows = []
    for i, (name, value) in enumerate(stages):
        w = max(2.0, (width - 40) * value / top)
        x = (width - w) / 2
        y = 24 + i * (bar_h + gap)
        share = f" ({value / first:.0%})" if first and i else ""
        rows.append(
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>'
            # White on a wide bar; dark where a narrow bar would leave white text on white.
            f'<text x="{width / 2:.1f}" y="{y + 22}" text-anchor="middle" '
            f'class="{"on-bar" if w > 240 else "beside-bar"}">'
            f"{escape(name)}: {_fmt(value)}{share}</text>"
        )
    return _svg(width, height, title, "".join(rows))


def reliability_chart(bins: list[dict], title: str = "", x_label: str = "", y_label: str = "",
                      width: int = 360) -> Markup:
    """Predicted against observed shares (each bin: ``predicted``, ``observed`` in 0..1 and
    ``pairs``), over the diagonal a perfectly calibrated score would follow."""
    height, pad = width, 40
    side = width - 2 * pad

    def x(v: float) -> float:
        return pad + side * v

    def y(v: float) -> float:
        return height - pad - side * v

    peak = max((b["pairs"] for b in bins), default=1) or 1
    marks = "".join(
        f'<circle cx="{x(b["predicted"]):.1f}" cy="{y(b["observed"]):.1f}" '
        f'r="{3 + 5 * (b["pairs"] / peak) ** 0.5:.1f}" fill="{PALETTE[0]}" fill-opacity="0.75">'
        f'<title>{escape(b.get("bin", ""))}: {b["predicted"]:.0%} → {b["observed"]:.0%} '
        f'({b["pairs"]})</title></circle>'
        for b in bins)
    path = " ".join(f"{x(b['predicted']):.1f},{y(b['observed']):.1f}" for b in bins)
    line = (f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="1.5" points="{path}"/>'
            if len(bins) > 1 else "")
    axes = (
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(0)}" stroke="#999"/>'
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(0)}" y2="{y(1)}" stroke="#999"/>'
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#bbb" '
        f'stroke-dasharray="4 3"/>'
        f'<text x="{x(1)}" y="{y(0) + 16}" text-anchor="end" class="axis">100%</text>'
        f'<text x="{x(0) - 4}" y="{y(1) + 4}" text-anchor="end" class="axis">100%</text>'
        f'<text x="{x(0.5)}" y="{height - 6}" text-anchor="middle" class="axis">'
        f'{escape(x_label)}</text>'
        f'<text x="12" y="{y(0.5)}" text-anchor="middle" class="axis" '
        f'transform="rotate(-90 12 {y(0.5)})">{escape(y_label)}</text>'
    )
    return _svg(width, height, title, axes + line + marks)


def _svg(width: int, height: int, title: str, body: str) -> Markup:
    heading = f'<text x="4" y="14" class="title">{escape(title)}</text>' if title else ""
    return Markup(
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">{heading}{body}</svg>'
    )
