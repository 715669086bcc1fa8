"""Python's cyclic garbage collector, kept off the message path of long-running servers.

A full collection walks every object the process holds. A Rasa replica holds about half a
million after loading its model (an action server and a hub 100,000 to 140,000), so each full
collection stopped a replica's event loop for about 300 to 380 ms (an action server's or a hub's
for 80 to 225 ms), about once a minute under load, and every conversation of that process waited
(docs/benchmark.md). What is alive once a server has started (the model,
the libraries, the settings) lives as long as the process: `gc.freeze()` moves it out of the
collector's reach, so later collections walk only what was made since. Nothing is leaked: the
frozen objects were never going to be freed, and everything made later is collected as before.
One exception: a model swapped through Rasa's HTTP API at run time leaves the old one's cycles
frozen until the replica restarts; the product deploys a new model by replacing replicas.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_startup_objects() -> int:
    """Collect once, then freeze what survived; returns how many objects were frozen. Call it
    once the server has loaded what it keeps (after its start-up listeners)."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("%d objects from start-up moved out of the garbage collector's reach", frozen)
    return frozen


async def freeze_when_started(_app: object, _loop: object) -> None:
    """`freeze_startup_objects` as a Sanic `after_server_start` listener (Rasa's channel, the
    hub's `main`, the action server's plugin)."""
    freeze_startup_objects()
