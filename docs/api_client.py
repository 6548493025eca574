"""A small client of the Matchmaker API (standard library only); see docs/api.md.

    python docs/api_client.py https://matchmaker.example "$MATCHMAKER_TOKEN"
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid


class ApiError(Exception):
    """A problem document (RFC 9457) answered by the API."""

    def __init__(self, problem: dict):
        super().__init__(f"{problem.get('status')} {problem.get('detail')}")
        self.problem = problem


class Client:
    def __init__(self, base_url: str, token: str, opener=None):
        self.base = base_url.rstrip("/") + "/api/v1"
        self.token = token
        self.open = opener or urllib.request.urlopen

    def request(self, method: str, path: str, body: dict | None = None,
                headers: dict | None = None) -> tuple[dict, dict]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Accept": "application/json",
            **({"Content-Type": "application/json"} if data else {}), **(headers or {})})
        try:
            with self.open(req) as answer:
                return json.loads(answer.read() or b"{}"), dict(answer.headers)
        except urllib.error.HTTPError as exc:
            raise ApiError(json.loads(exc.read() or b"{}")) from None

    def iterate(self, path: str, **params):
        """Every item of a list, following ``next_cursor``."""
        cursor = None
        while True:
            query = {**params, **({"cursor": cursor} if cursor else {})}
            suffix = "?" + urllib.parse.urlencode(query, doseq=True) if query else ""
            page, _headers = self.request("GET", path + suffix)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def post_need(self, need: dict) -> dict:
        """Post a need once, even when retried (the same Idempotency-Key is replayed)."""
        key = str(uuid.uuid4())
        return self.request("POST", "/needs", need, {"Idempotency-Key": key})[0]

    def move(self, match_id: int, to: str, **fields) -> dict:
        """Move a pair, guarded by the ETag of what we read (412 if it changed meanwhile)."""
        _match, headers = self.request("GET", f"/matches/{match_id}")
        etag = headers.get("ETag") or headers.get("Etag")
        return self.request("POST", f"/matches/{match_id}/moves", {"to": to, **fields},
                            {"If-Match": etag})[0]


def main(base_url: str, token: str) -> None:
    client = Client(base_url, token)
    for need in client.iterate("/needs", status="open", limit=50):
        print(need["id"], need["title"])


if __name__ == "__main__":
    main(*sys.argv[1:3])
