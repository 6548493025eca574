"""Which CJK fonts the PDF booklet embeds: a regular face and, when installed, a bold one.

fpdf2 embeds TrueType/OpenType fonts, collections (.ttc) included, by index. The path comes
from ``BOOKLET_FONT`` (config) or ``MATCHMAKER_BOOKLET_FONT`` (environment), optionally with
``#N`` for the face inside a collection; otherwise the first installed font of ``FALLBACKS``.
A font file whose name says ``Regular`` finds its bold sibling (``...-Bold...``); without one
the PDF draws bold text with a stroke (synthetic bold), so headings still stand out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import MatchmakerError

NOTO = "/usr/share/fonts/opentype/noto/NotoSansCJK-{weight}.ttc"
#: (regular path, face index, bold path or None): Noto Sans CJK (OFL, Debian fonts-noto-cjk,
#: installed by script/setup) face 2 is its Simplified Chinese face, in two real weights;
#: WenQuanYi Micro Hei (Apache-2.0) has one weight only.
FALLBACKS = [
    (NOTO.format(weight="Regular"), 2, NOTO.format(weight="Bold")),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, None),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, None),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0, None),
]


class BookletFontMissing(MatchmakerError):
    """No usable CJK font: the PDF would show empty boxes instead of Chinese."""

    http_status = 503


@dataclass(frozen=True)
class FontChoice:
    path: str
    index: int = 0
    bold_path: str | None = None  # None: synthetic bold (stroked text)

    @property
    def has_bold(self) -> bool:
        return self.bold_path is not None


def _bold_sibling(path: str) -> str | None:
    """``...Regular...`` -> ``...Bold...`` when that file exists."""
    name = os.path.basename(path)
    if "Regular" not in name:
        return None
    sibling = os.path.join(os.path.dirname(path), name.replace("Regular", "Bold"))
    return sibling if os.path.isfile(sibling) else None


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
        return FontChoice(choice.path, choice.index, _bold_sibling(choice.path))
    for path, index, bold in FALLBACKS:
        if os.path.isfile(path):
            return FontChoice(path, index, bold if bold and os.path.isfile(bold) else None)
    raise BookletFontMissing(
        "No CJK font for the PDF booklet: install fonts-noto-cjk or fonts-wqy-microhei "
        "(script/setup does) or set MATCHMAKER_BOOKLET_FONT=/path/to/font.ttf[#face]"
    )
