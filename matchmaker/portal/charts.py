"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable offline."""

from __future__ import annotations

import math
import re
import unicodedata

from flask import has_app_context
from flask_babel import gettext, pgettext
from markupsafe import Markup, escape

PALETTE = ["#1f6feb", "#2da44e", "#bf8700", "#cf222e", "#8250df", "#0a7f86", "#6e7781"]
#: The largest text size, in the chart's own units, that app.css sets: on a 390 px phone a
#: 560-unit chart is drawn at about 0.6, so its text is set at 18-20 units to read at 11 px.
#: The geometry leaves room for text this large at every width.
TEXT, AXIS, TITLE = 19, 18, 20


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _colon() -> str:
    """": " in English, "：" in Chinese (the catalogue's punctuation)."""
    return pgettext("punctuation", ": ") if has_app_context() else ": "


def _text_width(text: str, size: float) -> float:
    """About how wide ``text`` is drawn at ``size``: CJK and full-width characters take a
    whole em, Latin letters and digits a little over half (generous, so nothing is clipped)."""
    ems = sum(1.0 if unicodedata.east_asian_width(ch) in "WF"
              else 0.78 if ch.isupper() or ch in "mwMW%"
              else 0.34 if ch in " .,:;'|!ilj()[]"
              else 0.64 for ch in text)
    return ems * size


def _fit(text: str, room: float, size: float) -> str:
    """``text`` cut with "…" so it is at most ``room`` wide at ``size``."""
    if _text_width(text, size) <= room:
        return text
    while text and _text_width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


def bar_chart(items: list[tuple[str, float]], title: str = "", width: int = 560,
              unit: str = "") -> Markup:
    """Horizontal bars, one per (label, value); ``unit`` follows each value ("%").

    The label column is as wide as the longest label needs (at most 40 % of the chart; a
    longer label is cut, whole in its tooltip), the values have room on the right."""
    bar_h, gap, top = 26, 8, 32
    height = max(1, len(items)) * (bar_h + gap) + top
    peak = max((v for _, v in items), default=0) or 1
    # a share with one decimal, as the tables beside the charts write it ("70.5%", not "70.50%")
    values = [f"{v:,.1f}%" if unit == "%" and not float(v).is_integer() else f"{_fmt(v)}{unit}"
              for _, v in items]
    left = min(max((_text_width(name, TEXT) for name, _ in items), default=0) + 12, width * 0.4)
    right = max((_text_width(v, TEXT) for v in values), default=0) + 10
    rows = []
    for i, ((name, value), shown) in enumerate(zip(items, values, strict=True)):
        y = top + i * (bar_h + gap)
        mid = y + bar_h / 2
        w = (width - left - right) * value / peak
        rows.append(
            f'<text x="{left - 6:.1f}" y="{mid:.1f}" dominant-baseline="central" '
            f'text-anchor="end">{escape(_fit(name, left - 8, TEXT))}</text>'
            f'<rect x="{left:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
            f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(name)}{_colon()}{escape(shown)}'
            f'</title></rect><text x="{left + w + 6:.1f}" y="{mid:.1f}" '
            f'dominant-baseline="central">{escape(shown)}</text>'
        )
    return _svg(width, height, title, "".join(rows), "bars")


def line_chart(points: list[tuple[str, float]], title: str = "", width: int = 560,
               unit: str = "") -> Markup:
    """A line over (x label, value) points, e.g. a weekly trend; ``unit`` follows each value.

    Only as many x labels are written as fit side by side at the phone text size (every
    second, third ... one); every point keeps its label in its tooltip."""
    height, pad, top, bottom = 230, 36, 50, 40
    peak_value = max((v for _, v in points), default=0)
    peak = peak_value or 1  # all zero: the line lies on the axis
    n = max(1, len(points) - 1)
    span = width - 2 * pad
    coords = [
        (pad + span * i / n, height - bottom - (height - top - bottom) * v / peak)
        for i, (_, v) in enumerate(points)
    ]
    widest = max((_text_width(lbl, AXIS) for lbl, _ in points), default=0) + 10
    fits = max(1, int(span // widest) + 1) if widest else len(points) or 1
    step = max(1, math.ceil(len(points) / fits))
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)

    def x_label(x: float, text: str) -> str:
        half = _text_width(text, AXIS) / 2  # the outermost labels stay inside the chart
        anchor = "start" if x - half < 0 else "end" if x + half > width else "middle"
        return (f'<text x="{x:.1f}" y="{height - bottom + 24}" text-anchor="{anchor}" '
                f'class="axis">{escape(text)}</text>')

    marks = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{PALETTE[0]}">'
        f"<title>{escape(lbl)}{_colon()}{_fmt(v)}{unit}</title></circle>"
        + (x_label(x, lbl) if (len(points) - 1 - i) % step == 0 else "")
        for i, ((x, y), (lbl, v)) in enumerate(zip(coords, points, strict=True))
    )
    axis = (
        f'<line x1="{pad}" y1="{height - bottom}" x2="{width - pad}" y2="{height - bottom}" '
        f'stroke="#999"/>'
    )
    if peak_value > 0:  # the scale's top is the largest value, written above its grid line
        axis += (f'<line x1="{pad}" y1="{top}" x2="{width - pad}" y2="{top}" stroke="#d0d7de" '
                 f'stroke-dasharray="4 4"/><text x="{pad}" y="{top - 8}" class="axis">'
                 f'{_fmt(peak_value)}{unit}</text>')
    line = f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="2.5" points="{path}"/>'
    return _svg(width, height, title, axis + line + marks, "line")


def funnel_share(value: float, first: float) -> str:
    """A stage's share of the first: whole percents, one decimal under 10 %, and "<0.1%" for a
    stage that is not empty but rounds to nothing (32 of 13,097 read "0%")."""
    share = value / first if first else 0.0
    if share == 0 or share >= 0.1:
        return f"{share:.0%}"
    return f"{share:.1%}" if share >= 0.001 else "<0.1%"


def funnel_chart(stages: list[tuple[str, float]], title: str = "", width: int = 560) -> Markup:
    """Centred bars that narrow stage by stage, with the share of the first stage.

    Each stage's label sits on its own line above its bar, so a narrow bar never runs through
    the text; "name: count (share)" is punctuated the interface language's way."""
    label_h, bar_h, gap, top = 26, 16, 10, 32
    row = label_h + bar_h + gap
    height = max(1, len(stages)) * row + top
    peak = max((v for _, v in stages), default=0) or 1
    first = stages[0][1] if stages and stages[0][1] else 0
    rows = []
    for i, (name, value) in enumerate(stages):
        w = max(2.0, (width - 40) * value / peak)
        x = (width - w) / 2
        y = top + i * row
        count = _fmt(value)
        if first and i:
            share = funnel_share(value, first)
            count = gettext("%(count)s (%(share)s)", count=count, share=share) \
                if has_app_context() else f"{count} ({share})"
        text = f"{name}{_colon()}{count}"
        rows.append(
            f'<text x="{width / 2:.1f}" y="{y + label_h - 8}" text-anchor="middle" '
            f'class="stage">{escape(_fit(text, width - 8, TEXT))}</text>'
            f'<rect x="{x:.1f}" y="{y + label_h}" width="{w:.1f}" height="{bar_h}" rx="3" '
            f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(text)}</title></rect>'
        )
    return _svg(width, height, title, "".join(rows), "funnel")


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
        f'<title>{escape(b.get("bin", ""))}{_colon()}{b["predicted"]:.0%} → {b["observed"]:.0%} '
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
    return _svg(width, height, title, axes + line + marks, "reliability")


def _wrap(text: str, room: float, size: float) -> list[str]:
    """``text`` in lines at most ``room`` wide at ``size``: broken between words, or between
    CJK characters (a word longer than a line is cut with "…")."""
    lines, line = [], ""
    for token in re.findall(r"[\u2e80-\uffff]|[^\s\u2e80-\uffff]+|\s+", text):
        if line.strip() and not token.isspace() and _text_width(line + token, size) > room:
            lines.append(line.rstrip())
            line = token
        elif line or not token.isspace():
            line += token
    lines.append(line.rstrip())
    return [_fit(one, room, size) for one in lines if one]


def _svg(width: int, height: int, title: str, body: str, kind: str) -> Markup:
    """The chart's frame: the title on as many lines as it needs at the phone text size, the
    body below it. ``data-kind`` lets app.css size the text of each kind of chart."""
    lines = _wrap(title, width - 8, TITLE if kind != "reliability" else 14) if title else []
    heading = "".join(f'<text x="4" y="{20 + 24 * i}" class="title">{escape(line)}</text>'
                      for i, line in enumerate(lines))
    drop = 24 * max(0, len(lines) - 1)
    if drop:
        body = f'<g transform="translate(0 {drop})">{body}</g>'
    return Markup(
        f'<svg class="chart" data-kind="{kind}" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height + drop}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg">{heading}{body}</svg>'
    )
