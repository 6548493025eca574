"""The documented Python client runs against a live test server on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from matchmaker.extensions import db
from tests.api_support import cast_with_tokens

CLIENT = Path(__file__).resolve().parent.parent / "docs" / "api_client.py"


def _load_client():
    spec = importlib.util.spec_from_file_location("api_client", CLIENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def live(app_factory):
    app = app_factory()
    with app.app_context():
        people = cast_with_tokens()
        people = {"tokens": people["tokens"], "match_id": people["match"].id}
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", people, app
    server.shutdown()


def test_client_example_posts_pages_and_moves(live):
    base, people, app = live
    api = _load_client()
    enterprise = api.Client(base, people["tokens"]["enterprise"])
    made = enterprise.post_need({"title": "稀土抛光粉回收", "description": "回收废抛光粉中的稀土。"})
    titles = [n["title"] for n in enterprise.iterate("/needs", limit=1)]
    assert made["title"] in titles and len(titles) == 2  # two pages of one
    broker = api.Client(base, people["tokens"]["broker"])
    match_id = people["match_id"]
    moved = broker.move(match_id, "recommended")
    assert moved["status"] == "recommended"
    with pytest.raises(api.ApiError) as refused:
        enterprise.move(match_id, "contacted")
    assert refused.value.problem["status"] == 403
