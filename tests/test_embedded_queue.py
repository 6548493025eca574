"""The embedded job queue polls every JOB_POLL_SECONDS, not kombu's 1 s (QA pass 6: it handed
out one job a second; bench/bench_job_queue.py measures the drain)."""

from __future__ import annotations

from kombu import Connection

from matchmaker.jobs import embedded_queue


def test_an_embedded_queue_url_goes_through_the_faster_polling_transport(tmp_path):
    url = embedded_queue.broker_url(f"sqla+sqlite:///{tmp_path / 'jobs.sqlite3'}", 0.05)
    assert url.startswith(f"{embedded_queue.ALIAS}+sqlite:///")
    with Connection(url) as connection:
        transport = connection.transport
        assert isinstance(transport, embedded_queue.Transport)
        assert transport.polling_interval == 0.05
        queue = connection.SimpleQueue("probe")  # the tables are kombu's own: it works as before
        queue.put({"n": 1})
        assert queue.get(timeout=5).payload == {"n": 1}
        queue.close()


def test_other_brokers_are_left_as_they_are():
    for url in ("redis://127.0.0.1:6379/0", "amqp://guest@127.0.0.1//"):
        assert embedded_queue.broker_url(url, 0.05) == url


def test_the_app_uses_it_for_the_default_queue(app):
    assert app.config["JOB_BROKER_URL"].startswith("sqla+")  # the embedded default
    assert app.extensions["celery"].conf.broker_url.startswith(f"{embedded_queue.ALIAS}+")
