"""Servers move what they loaded at start-up out of the garbage collector's reach
(services/collector.py), so a full collection no longer stops a Rasa replica's event loop for a
third of a second; what they make afterwards is still collected, so nothing leaks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# In a process of its own: freezing pytest's objects would keep them for the whole run.
SERVER_LIKE = textwrap.dedent(
    """
    import gc, weakref
    from services.collector import freeze_startup_objects

    class Node:
        pass

    model = [Node() for _ in range(50_000)]  # what a server loads and keeps
    for node in model:
        node.self = node
    frozen = freeze_startup_objects()
    assert frozen >= 50_000, frozen

    later = Node()  # garbage made while serving: a reference cycle nobody holds
    later.self = later
    gone = weakref.ref(later)
    del later
    gc.collect()
    assert gone() is None, "a cycle made after start-up was not collected"

    # A full collection walks only what was made since start-up, not the model.
    walked = []
    gc.callbacks.append(lambda phase, info: walked.append(len(gc.get_objects(2))))
    gc.collect()
    assert max(walked) < 5_000, max(walked)
    print("ok")
    """
)


def test_start_up_objects_leave_full_collections_and_later_garbage_is_still_collected() -> None:
    run = subprocess.run(
        [sys.executable, "-c", SERVER_LIKE], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr
