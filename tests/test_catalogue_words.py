"""One Chinese word per concept: Flask-Babel merges every ``translations`` folder into one
catalogue (a later folder's msgstr silently replaces an earlier one's), so a msgid translated
two ways in two folders shows the same word on every screen, just not the one its folder
chose. Where a different word is truly needed, the msgid takes a context (``pgettext``)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from babel.messages.pofile import read_po

PACKAGE = Path(__file__).resolve().parent.parent / "matchmaker"


def _first(value):
    return value[0] if isinstance(value, list | tuple) else value


def test_a_msgid_has_one_chinese_translation_across_catalogues():
    words: dict[tuple, dict[str, str]] = defaultdict(dict)
    catalogues = sorted(PACKAGE.rglob("translations/zh*/LC_MESSAGES/*.po"))
    assert len(catalogues) >= 10  # every blueprint and package keeps its own
    for po in catalogues:
        with open(po, "rb") as fh:
            for message in read_po(fh):
                if message.id and _first(message.string):
                    where = "/".join(po.relative_to(PACKAGE).parts[:-4]) or "."
                    words[(message.context, _first(message.id))][where] = _first(message.string)
    differing = {key: found for key, found in words.items() if len(set(found.values())) > 1}
    assert differing == {}


def test_chinese_messages_use_full_width_punctuation_around_their_values():
    """"公开号格式不正确: '12345' (例: ...)" mixed half-width marks into Chinese (QA, stop 34):
    after a Chinese word a colon or bracket is full-width."""
    import re
    from pathlib import Path

    import matchmaker

    mixed = []
    for po in Path(matchmaker.__file__).parent.rglob("zh_CN/LC_MESSAGES/messages.po"):
        for number, line in enumerate(po.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("msgstr") and re.search(r"[\u4e00-\u9fff](: | \(|\()", line):
                mixed.append(f"{po.parent.parent.parent.parent.name}:{number}: {line}")
    assert mixed == []
