"""A slow job kind for worker tests: the first attempt sleeps, so a test can kill its worker."""

from __future__ import annotations

import os
import time
from pathlib import Path

from matchmaker.jobs.registry import job


@job("test_slow")
def slow(params: dict, ctx) -> dict:
    """Append this process's pid to the marker file; sleep on the first attempt only."""
    marker = Path(params["marker"])
    with marker.open("a", encoding="ascii") as fh:
        fh.write(f"{os.getpid()}\n")
    if len(marker.read_text(encoding="ascii").split()) == 1:
        time.sleep(params["seconds"])
    return {"pid": os.getpid()}


@job("test_noop")
def noop(params: dict, ctx) -> dict:
    """Does nothing: for tests of the job machinery around the work."""
    return {"done": True}
