"""Labels the engine stores in explanations (English msgids) read in the screen's language,
also those older versions stored under another wording."""

from __future__ import annotations

import pytest
from flask import session

from matchmaker.labels import engine_label
from matchmaker.matching import rules


@pytest.mark.parametrize("stored", ["Open licence offered", "Open licence (开放许可) offered"])
@pytest.mark.parametrize("locale, shown", [("zh_CN", "提供开放许可"), ("en", "Open licence offered")])
def test_a_stored_label_reads_in_the_screen_language(app, stored, locale, shown):
    with app.test_request_context("/"):
        session["locale"] = locale
        assert engine_label(stored) == shown
        assert engine_label(None) == "" and engine_label("Something else") == "Something else"


def test_english_labels_carry_no_chinese():
    """The engine's msgids are the English screen's text."""
    import inspect
    import re

    source = inspect.getsource(rules)
    labels = re.findall(r'add\("[a-z_]+", [^,]+, "([^"]+)"', source)
    assert labels and not [label for label in labels if re.search(r"[\u4e00-\u9fff]", label)]
