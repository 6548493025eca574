"""Load test of the portal (issue 13, point 6): brokers work the review queue, enterprises post
needs, universities list patents. Run it through ``bench/run_load.py``, which starts the server.

Bounded three ways: the runner's users and ``--run-time``, and ``LOAD_MAX_REQUESTS`` (stop after
that many requests). It refuses any host but 127.0.0.1. Accounts: ``load-broker-NN``,
``load-ent-NN``, ``load-uni-NN`` with password ``LOAD_PASSWORD`` (made by the runner).
Think time: ``LOAD_WAIT`` seconds between tasks (0 for saturation), or ``LOAD_PACE`` tasks per
second per user (constant throughput, for a fixed offered rate).
"""

from __future__ import annotations

import itertools
import os
import random
import re
from urllib.parse import urlsplit

from html_forms import form_fields  # bench/, the locustfile's folder, is on the path
from locust import FastHttpUser, between, constant, constant_throughput, events, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "bench-password-1")
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "100000"))
COUNTS = {"broker": int(os.environ.get("LOAD_BROKERS", "50")),
          "ent": int(os.environ.get("LOAD_ENTERPRISES", "10")),
          "uni": int(os.environ.get("LOAD_UNIVERSITIES", "10"))}
_NAMES = {kind: itertools.cycle(range(n)) for kind, n in COUNTS.items()}
PAIR = re.compile(r'href="/queue/(\d+)')
QUEUE = "/queue/?strength=weak"
WORDS = ["稀土", "永磁", "氢能", "风电", "煤化工", "矿用", "无人机", "铝合金", "储能", "农牧"]
_sent = 0


def _wait():
    if os.environ.get("LOAD_PACE"):
        return constant_throughput(float(os.environ["LOAD_PACE"]))
    seconds = float(os.environ.get("LOAD_WAIT", "1"))
    return constant(0) if seconds == 0 else between(seconds / 2, seconds * 1.5)


@events.init.add_listener
def _only_loopback(environment, **_kw):
    host = urlsplit(environment.host or "").hostname
    if host != "127.0.0.1":
        raise SystemExit(f"refusing to load {environment.host!r}: 127.0.0.1 only")


@events.request.add_listener
def _bounded(**_kw):
    global _sent
    _sent += 1
    if _sent == MAX_REQUESTS:
        _ENV["environment"].runner.quit()


_ENV: dict = {}


@events.init.add_listener
def _keep(environment, **_kw):
    _ENV["environment"] = environment


class _Portal(FastHttpUser):
    abstract = True
    kind = ""
    wait_time = _wait()

    def on_start(self):
        self.username = f"load-{self.kind}-{next(_NAMES[self.kind]):02d}"
        page = self.client.get("/auth/login", name="/auth/login").text
        fields = form_fields(page, "/auth/login")
        fields.update(username=self.username, password=PASSWORD)
        with self.client.post("/auth/login", data=fields, allow_redirects=False,
                              name="/auth/login [post]", catch_response=True) as r:
            if r.status_code != 302:
                r.failure(f"login {self.username}: {r.status_code}")

    def post_form(self, page_url: str, marker: str, values: dict, name: str):
        page = self.client.get(page_url, name=f"{name} [form]").text
        fields = form_fields(page, marker)
        fields.update(values)
        with self.client.post(marker, data=fields, allow_redirects=False, name=name,
                              catch_response=True) as r:
            if r.status_code not in (302, 303):
                r.failure(f"{name}: {r.status_code}")


class Broker(_Portal):
    """Works the queue: list, open a pair, recommend or reject it, note it, search."""

    kind = "broker"
    weight = 8

    @task(4)
    def queue_and_pair(self):
        # weak candidates included: the demo holds 73 strong or medium pairs of 882, which the
        # first minute of moves would drain, leaving later steps an empty queue to time
        page = self.client.get(QUEUE, name="/queue/").text
        ids = PAIR.findall(page)
        if not ids:
            return
        match_id = random.choice(ids)
        with self.client.get(f"/queue/{match_id}", name="/queue/<id>",
                             catch_response=True) as r:
            if r.status_code == 403:
                r.success()  # another broker took the pair since the list was drawn
                return
            pair = r.text
        roll = random.random()
        if roll < 0.3:
            self._move(pair, match_id, "recommended", {})
        elif roll < 0.5:
            self._move(pair, match_id, "rejected", {"rejected-rejection_reason": ""})
        elif roll < 0.7:
            fields = form_fields(pair, f"/pipeline/{match_id}/note")
            fields["note-body"] = "负载测试备注：已电话联系企业技术负责人。"
            with self.client.post(f"/pipeline/{match_id}/note", data=fields,
                                  allow_redirects=False, name="/pipeline/<id>/note",
                                  catch_response=True) as r:
                if r.status_code == 403:
                    r.success()  # the pair left this broker's scope meanwhile (a race)
                elif r.status_code not in (302, 303):
                    r.failure(f"note: {r.status_code}")

    def _move(self, pair: str, match_id: str, to: str, extra: dict):
        url = f"/pipeline/{match_id}/move/{to}"
        fields = form_fields(pair, url)
        if not fields:
            return  # this move is not offered for the pair's status
        if to == "rejected":
            at = pair.find('name="rejected-rejection_reason"')
            reasons = re.findall(r'<option value="([a-z_]+)"', pair[at:at + 4000]) if at >= 0 else []
            fields["rejected-rejection_reason"] = reasons[0] if reasons else "other"
        with self.client.post(url, data=fields, allow_redirects=False,
                              name=f"/pipeline/<id>/move/{to}", catch_response=True) as r:
            if r.status_code in (403, 409):
                # another broker moved it first (409) or took it out of this broker's scope
                # since the page was drawn (403): the portal's answer to a race, not an error
                r.success()
            elif r.status_code != 302:
                r.failure(f"move {to}: {r.status_code}")

    @task(2)
    def search(self):
        self.client.get(f"/patents/?q={random.choice(WORDS)}", name="/patents/?q=")

    @task(1)
    def needs_list(self):
        self.client.get("/needs/", name="/needs/")


class Enterprise(_Portal):
    """Posts needs and reads its recommendations."""

    kind = "ent"
    weight = 1

    @task(1)
    def post_need(self):
        word = random.choice(WORDS)
        self.post_form("/needs/new", "/needs/new", {
            "title": f"{word}技术需求 {random.randrange(10**6)}",
            "description": f"我公司需要{word}相关技术，用于提高产品性能、降低生产成本。",
            "technical_field": "新材料", "keywords": word,
        }, "/needs/new")

    @task(3)
    def browse(self):
        self.client.get("/needs/", name="/needs/")


class University(_Portal):
    """Lists patents and looks at its own."""

    kind = "uni"
    weight = 1

    @task(1)
    def post_patent(self):
        word = random.choice(WORDS)
        number = f"CN{random.randrange(500_000_000, 599_999_999)}A"
        self.post_form("/patents/new", "/patents/new", {
            "publication_number": number, "title": f"一种{word}的制备方法",
            "abstract": f"本发明公开了一种{word}的制备方法，工艺简单，成本低，适合工业化生产。",
            "ipc_codes": "H01F 1/057",
        }, "/patents/new")

    @task(3)
    def browse(self):
        self.client.get("/patents/", name="/patents/")
