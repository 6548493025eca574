"""The API reference page (/api/v1/docs): readable parameter types, translated status phrases."""

from __future__ import annotations

import html
import json
import re

import pytest
from flask_babel import force_locale

from matchmaker.api.docs import is_nullable, status_phrase, type_label

COMPONENTS = {
    "EventQuery.EventStatus": {"enum": ["planned", "held", "cancelled"], "title": "EventStatus",
                               "type": "string"},
    "OrgRef": {"type": "object", "properties": {"id": {"type": "integer"}}},
}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}], "default": None}


@pytest.mark.parametrize(("schema", "expected"), [
    ({"type": "integer"}, "integer"),
    ({"type": "boolean", "default": False}, "boolean"),
    ({"format": "int64", "minimum": 1, "type": "integer"}, "integer (int64, ≥ 1)"),
    ({"maximum": 100, "minimum": 1, "type": "integer"}, "integer (1–100)"),
    ({"maximum": 1000000.0, "minimum": -1000000.0, "type": "number"},
     "number (≥ -1000000, ≤ 1000000)"),
    ({"exclusiveMinimum": 0, "type": "number"}, "number (> 0)"),
    ({"maxLength": 200, "minLength": 1, "type": "string"}, "string (1–200)"),
    ({"format": "date", "type": "string"}, "string (date)"),
    ({"pattern": "^[A-Ha-h]$", "type": "string"}, "string (/^[A-Ha-h]$/)"),
    ({"enum": ["patents", "needs"], "type": "string"}, "patents | needs"),
    ({"$ref": "#/components/schemas/EventQuery.EventStatus"}, "planned | held | cancelled"),
    ({"$ref": "#/components/schemas/OrgRef"}, "OrgRef"),
    ({"type": "array", "items": {"type": "string"}}, "string[]"),
    ({"type": "array", "items": {"$ref": "#/components/schemas/EventQuery.EventStatus"}},
     "(planned | held | cancelled)[]"),
    ({}, ""),
])
def test_type_label_of_a_plain_schema(schema, expected):
    assert type_label(schema, COMPONENTS) == expected
    assert not is_nullable(schema)


@pytest.mark.parametrize(("schema", "expected"), [
    ({"maxLength": 200, "type": "string"}, "string (≤ 200)"),
    ({"$ref": "#/components/schemas/EventQuery.EventStatus"}, "planned | held | cancelled"),
    ({"type": "array", "items": {"type": "integer"}}, "integer[]"),
    ({"maximum": 100, "minimum": 1, "type": "integer"}, "integer (1–100)"),
])
def test_a_nullable_schema_reads_as_its_type_and_says_null(schema, expected):
    """The query parameters' ``anyOf: [X, null]``: X, with "| null" where null may be sent."""
    wrapped = _nullable(schema)
    assert is_nullable(wrapped)
    assert type_label(wrapped, COMPONENTS, nullable=False) == expected
    assert type_label(wrapped, COMPONENTS) == expected + " | null"
    assert type_label({"type": ["string", "null"]}) == "string | null"
    assert type_label({"type": ["string", "null"]}, nullable=False) == "string"


def test_an_unresolvable_ref_shows_its_name():
    assert type_label({"$ref": "#/components/schemas/Missing"}) == "Missing"
    assert type_label(_nullable({"$ref": "#/components/schemas/OrgRef"}), COMPONENTS) == (
        "OrgRef | null")


def test_status_phrases_are_translated_and_own_descriptions_kept(app):
    with app.test_request_context("/"):
        assert status_phrase("400", "Bad Request") == ("请求有误", True)
        assert status_phrase("403", "Forbidden") == ("禁止访问", True)
        assert status_phrase("422", "Unprocessable Content") == ("无法处理的内容", True)
        assert status_phrase("422", "Unprocessable Entity") == ("无法处理的内容", True)  # <3.13
        assert status_phrase("200", "The need, with its matches") == (
            "The need, with its matches", False)
        assert status_phrase("418", "I'm a teapot") == ("I'm a teapot", False)
        with force_locale("en"):
            assert status_phrase("404", "Not Found") == ("Not Found", True)


def _parameter_types(page: str) -> list[str]:
    """The Type cells of the operations' parameter tables."""
    return [html.unescape(cell) for cell in re.findall(
        r"<tr><td><code>[^<]*</code></td><td><code>[^<]*</code></td><td><code>([^<]*)</code></td>",
        page)]


def test_the_reference_page_shows_readable_types_and_chinese_status_phrases(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    types = _parameter_types(page)
    assert len(types) > 30 and all(types)
    assert [t for t in types if re.search(r"\{'|\[\{|'type'|anyOf|\$ref|None", t)] == []
    assert {"string (≤ 200)", "integer (1–100)", "planned | held | cancelled",
            "integer (int64, ≥ 1)"} <= set(types)
    assert "(candidate | recommended | contacted | negotiating | signed | registered | " \
           "rejected)[]" in types
    text = html.unescape(page)
    assert "'type'" not in text and "#/components/schemas" not in text
    # the answers: Chinese reason phrases, none left in English on the Chinese screen
    assert "<li><code>400</code> <span>请求有误</span>" in page
    assert "<li><code>403</code> <span>禁止访问</span>" in page
    assert not re.search(r'<li><code>\d{3}</code> <span lang="en">', page)
    assert "Bad Request" not in page and "Forbidden" not in page
    # schemas: a nullable reference names its schema (it read "null" alone before)
    assert "<code>PatentOut.OrgRef | null</code>" in page
    # an enum's card lists its values instead of an empty table
    card = page.split('id="schema-EventQuery.EventStatus"', 1)[1].split("</section>", 1)[0]
    assert "<code>planned | held | cancelled</code>" in card and "<table>" not in card
    assert "<table><tbody>\n  \n  </tbody></table>" not in page


def test_the_english_reference_page_keeps_english_phrases(client):
    page = client.get("/api/v1/docs?lang=en").get_data(as_text=True)
    assert "<li><code>400</code> <span>Bad Request</span>" in page
    assert "string (≤ 200)" in html.unescape(page)


def _document_words(app) -> list[str]:
    """Every operation summary and description and every field description of the document."""
    from matchmaker.api.docs import document

    with app.app_context():
        doc = document()
    words = [op.get(key) for item in doc["paths"].values() for op in item.values()
             if isinstance(op, dict) for key in ("summary", "description")]
    words += [prop.get("description") for schema in doc["components"]["schemas"].values()
              for prop in (schema.get("properties") or {}).values()]
    return sorted({w for w in words if w})


def test_every_summary_and_description_of_the_document_has_its_chinese(app):
    """The reference page is one language per screen: a new operation or field description
    without its line in matchmaker/api/translations fails here."""
    words = _document_words(app)
    assert len(words) > 40
    with app.test_request_context("/api/v1/docs"), force_locale("zh_CN"):
        from flask_babel import gettext

        missing = [w for w in words if gettext(w) == w]
    assert missing == []


def test_the_chinese_reference_page_has_no_english_sentence_and_the_english_one_no_chinese(
        client, app):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    english_parts = re.compile(r'<(?:span|p|td) lang="en">')  # (the language switch has one)
    assert not english_parts.search(page)
    assert "按审核队列的方式列出配对（相同的筛选条件与访问规则）。" in page
    assert "List pairs as the review queue does" not in page
    assert "<td><span>万元</span></td>" in page
    english = client.get("/api/v1/docs?lang=en").get_data(as_text=True)
    assert "List pairs as the review queue does (same filters, same access rules)." in english
    assert "按审核队列" not in english and not english_parts.search(english)
    # names stay as they are in either language, as code: headers and values on the Chinese
    # page, the stored Chinese values (万元, 盟市, 高 / 中 / 低) on the English one
    assert "请在 <code>If-Match</code> 中发送读取时得到的 <code>ETag</code>。" in page
    assert "<code>万元</code>" in english and "<code>高</code> / <code>中</code>" in english
    from tests.script_text import other_script

    for text in re.findall(r"<span>(.*?)</span>", page):  # no English word outside code
        assert not other_script(re.sub(r"<code>.*?</code>", "", text), "zh_CN"), text


def test_every_application_gets_a_whole_document(app):
    """A second application in the same process (tests, a CLI beside the server) gets every
    schema its references name: spectree deletes nested models when it builds a document."""
    from matchmaker import create_app
    from matchmaker.api.docs import document

    documents = []
    for _ in range(2):
        other = create_app({"TESTING": True, "SECRET_KEY": "x", "ENCODER": "fake",
                            "EXTRA_ENCODERS": "", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        with other.test_request_context():
            documents.append(document())
    for doc in documents:
        text = json.dumps(doc)
        refs = set(re.findall(r'"#/components/schemas/([^"]+)"', text))
        assert refs and refs <= set(doc["components"]["schemas"]), refs - set(
            doc["components"]["schemas"])
