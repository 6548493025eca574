"""Which CJK font the PDF booklet embeds.

fpdf2 embeds TrueType/OpenType fonts, collections (.ttc) included, by index. The path comes
from ``BOOKLET_FONT`` (config) or ``MATCHMAKER_BOOKLET_FONT`` (environment), optionally with
``#N`` for the face inside a collection; otherwise the first installed font of ``FALLBACKS``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import MatchmakerError

#: (path, face index): WenQuanYi Micro Hei is what script/setup installs (Apache-2.0);
#: Noto Sans CJK (OFL, Debian fonts-noto-cjk) face 2 is its Simplified Chinese face.
FALLBACKS = [
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
]


class BookletFontMissing(MatchmakerError):
    """No usable CJK font: the PDF would show empty boxes instead of Chinese."""

    http_status = 503


@dataclass(frozen=True)
class FontChoice:
    path: str
    index: int = 0


def _parse(raw: str) -> FontChoice:
    path, _, index = raw.strip().partition("#")
    try:
        return FontChoice(path, int(index) if index else 0)
    except ValueError:
        raise BookletFontMissing(f"BOOKLET_FONT: bad face index in {raw!r} (use path#N)") from None


def resolve_font(config: Mapping | None = None) -> FontChoice:
    """The configured font if it exists (else a clear error), or the first installed fallback."""
    raw = (config or {}).get("BOOKLET_FONT") or os.environ.get("MATCHMAKER_BOOKLET_FONT")
    if raw:
        choice = _parse(raw)
        if not os.path.isfile(choice.path):
            raise BookletFontMissing(
                f"MATCHMAKER_BOOKLET_FONT points to {choice.path}, which does not exist"
            )
        return choice
    for path, index in FALLBACKS:
        if os.path.isfile(path):
            return FontChoice(path, index)
    raise BookletFontMissing(
        "No CJK font for the PDF booklet: install fonts-wqy-microhei (script/setup does) "
        "or set MATCHMAKER_BOOKLET_FONT=/path/to/font.ttf[#face]"
    )
