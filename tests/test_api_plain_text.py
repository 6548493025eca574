"""The API's plain-text rule refuses markup as a browser reads it, not every "<" before a letter:
technical text such as "T<Tc" or "a < b and c>d" once got 422 "HTML is not accepted" through
the API while the portal's forms and the import took it."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from matchmaker.api.schemas.common import PlainText

TEXT = TypeAdapter(PlainText)


@pytest.mark.parametrize("value", [
    "超导转变温度 T<Tc 时电阻为零", "a < b and c>d, x<y", "温度<50℃", "x<y", "1<2>0",
    "粒径<5μm，纯度>99.9%", "if a<b then", "<= 5 mm", "H01F 1/057",
])
def test_comparisons_are_plain_text(value):
    assert TEXT.validate_python(value) == value


@pytest.mark.parametrize("value", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg/onload=alert(1)>",
    "加粗<b>文本</b>", "</p>", "<!-- hidden -->", "<!DOCTYPE html>", "<?xml version='1.0'?>",
    "<a href='javascript:x'>link</a>", "<SCRIPT", "< script src=//x>", "<iframe src=x",
    "<div\nclass=x>",
])
def test_markup_is_refused(value):
    with pytest.raises(ValidationError, match="HTML is not accepted"):
        TEXT.validate_python(value)
