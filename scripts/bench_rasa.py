"""Rasa's own CPU per message, in this process: the trained model, our tracker store on a
SQLite file, no servers, no network.

    .venv/bin/python -m scripts.bench_rasa [--conversations 100]

A development tool beside `make bench` and `scripts/bench_cpu.py`. On a shared machine the CPU
figures of the whole product differ by up to 30% between runs, which hides a change of a few
percent; this one measures Rasa's processor alone (NLU, policies, tracker read and write,
responses) on conversations of eight messages without custom actions, so A/B runs of a change
inside Rasa are comparable. Run the two versions alternately, several times each.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time

TEXTS = (
    "hello",
    "how do i renew my green card",
    "how much does it cost to apply for citizenship",
    "thanks",
    "hi",
    "purple elephants dance on the moon",
    "what is a green card",
    "bye",
)


async def measure(conversations: int, warm_up: int = 20) -> float:
    """Milliseconds of this process's CPU per message, after `warm_up` conversations."""
    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    import addons  # noqa: F401  (what the Rasa server imports: our components and shortcuts)
    from scripts.stack import MODEL

    configure_structlog(logging.WARNING)
    os.environ["TRACKER_STORE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/tracker.db"
    store = EndpointConfig(type="addons.tracker_store.RedactingSQLTrackerStore")
    agent = await load_agent(
        model_path=str(MODEL), endpoints=AvailableEndpoints(tracker_store=store)
    )

    async def conversation(sender: str) -> None:
        for text in TEXTS:
            await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender))

    for number in range(warm_up):
        await conversation(f"warm-up-{number}")
    started = time.process_time()
    for number in range(conversations):
        await conversation(f"measured-{number}")
    return (time.process_time() - started) / (conversations * len(TEXTS)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    milliseconds = asyncio.run(measure(args.conversations))
    print(f"Rasa's processor: {milliseconds:.2f} ms CPU per message")


if __name__ == "__main__":
    main()
