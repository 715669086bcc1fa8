"""What visitors asked that the assistant could not answer: the list content staff work from.

Reads Rasa's tracker store (TRACKER_STORE_URL, default sqlite:///var/tracker.db; the `events`
table of Rasa's SQLTrackerStore) and collects the visitor messages that
- went to the fallback (intent nlu_fallback, or the fallback / rephrase actions ran),
- were out of scope (intent out_of_scope: maybe a topic to add), or
- ended with a request for a person (the question asked just before "talk to a person", or the
  request itself when it came first).
Similar messages are grouped (character trigrams, so typos still group), largest group first,
with counts and first/last dates. Button clicks ("/intent" payloads) are not questions and are
left out. Texts are masked again with privacy.redact_text before they are shown.

Usage: python scripts/unanswered_report.py [--url URL] [--days N] [--html FILE] [--min-count N]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from math import sqrt
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from privacy import redact_text  # noqa: E402

DEFAULT_URL = "sqlite:///var/tracker.db"
FALLBACK_INTENTS = {"nlu_fallback"}
FALLBACK_ACTIONS = {
    "action_default_fallback",
    "action_default_ask_rephrase",
    "action_two_stage_fallback",
}
HANDOFF_INTENTS = {"request_human"}
REASONS = {
    "fallback": {"en": "not understood"},
    "out_of_scope": {"en": "out of scope"},
    "handoff": {"en": "asked for a person"},
}
SIMILARITY = 0.5  # cosine of character-trigram vectors above which two messages share a group


@dataclass
class Unanswered:
    text: str
    reason: str  # fallback | out_of_scope | handoff
    when: datetime
    sender: str


@dataclass
class Group:
    vector: Counter
    items: list[Unanswered] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The most frequent wording in the group."""
        return Counter(item.text for item in self.items).most_common(1)[0][0]

    @property
    def first(self) -> datetime:
        return min(item.when for item in self.items)

    @property
    def last(self) -> datetime:
        return max(item.when for item in self.items)

    @property
    def reasons(self) -> Counter:
        return Counter(item.reason for item in self.items)

    @property
    def wordings(self) -> list[str]:
        return [t for t, _ in Counter(item.text for item in self.items).most_common()]


def _normalise(value: str) -> str:
    value = unicodedata.normalize("NFKD", value.lower())
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", value).split())


def trigrams(value: str) -> Counter:
    padded = f"  {_normalise(value)}  "
    return Counter(padded[i : i + 3] for i in range(len(padded) - 2))


def cosine(a: Counter, b: Counter) -> float:
    dot = sum(count * b.get(gram, 0) for gram, count in a.items())
    norm = sqrt(sum(v * v for v in a.values())) * sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def read_events(url: str) -> Iterator[dict]:
    """The tracker store's events in order, one conversation after another."""
    engine = create_engine(url)
    query = text(
        "SELECT sender_id, type_name, timestamp, intent_name, action_name, data "
        "FROM events ORDER BY sender_id, id"
    )
    with engine.connect() as connection:
        for row in connection.execute(query):
            yield dict(row._mapping)
    engine.dispose()


def _turns(events: Iterable[dict]) -> Iterator[tuple[dict, list[dict]]]:
    """Each user message with the events that followed it, up to the next user message."""
    current: dict | None = None
    following: list[dict] = []
    sender = None
    for event in events:
        if event["sender_id"] != sender:
            if current is not None:
                yield current, following
            current, following, sender = None, [], event["sender_id"]
        if event["type_name"] == "user":
            if current is not None:
                yield current, following
            current, following = event, []
        elif current is not None:
            following.append(event)
    if current is not None:
        yield current, following


def _user_text(event: dict) -> str:
    try:
        data = json.loads(event.get("data") or "{}")
    except ValueError:
        return ""
    return str(data.get("text") or "").strip()


def _is_handoff(intent: str, following: list[dict]) -> bool:
    if intent in HANDOFF_INTENTS:
        return True
    for event in following:
        if "handoff" in str(event.get("action_name") or ""):
            return True
        if event["type_name"] == "slot" and '"handoff_queue"' in str(event.get("data") or ""):
            data = json.loads(event["data"])
            if data.get("name") == "handoff_queue" and data.get("value"):
                return True
    return False


def collect(events: Iterable[dict], since: datetime | None = None) -> list[Unanswered]:
    """The unanswered visitor messages in the events."""
    found: list[Unanswered] = []
    previous: dict[str, str] = {}  # sender -> the last real question, for handoffs
    for user, following in _turns(events):
        message = _user_text(user)
        sender = user["sender_id"]
        when = datetime.fromtimestamp(float(user["timestamp"]), tz=timezone.utc)
        intent = str(user.get("intent_name") or "")
        actions = {str(e.get("action_name") or "") for e in following}
        if not message or message.startswith("/"):
            continue  # a button click, not something a visitor typed
        reason = None
        if _is_handoff(intent, following):
            reason = "handoff"
            message = previous.pop(sender, message)
        elif intent in FALLBACK_INTENTS or actions & FALLBACK_ACTIONS:
            reason = "fallback"
        elif intent == "out_of_scope":
            reason = "out_of_scope"
        else:
            previous[sender] = message
        if reason and (since is None or when >= since):
            found.append(Unanswered(redact_text(message) or "", reason, when, sender))
    return found


def group(messages: list[Unanswered], similarity: float = SIMILARITY) -> list[Group]:
    """Greedy grouping: each message joins the most similar group above the threshold."""
    groups: list[Group] = []
    for message in sorted(messages, key=lambda m: m.when):
        vector = trigrams(message.text)
        best, best_score = None, similarity
        for candidate in groups:
            score = cosine(vector, candidate.vector)
            if score >= best_score:
                best, best_score = candidate, score
        if best is None:
            best = Group(Counter())
            groups.append(best)
        best.items.append(message)
        best.vector.update(vector)
    return sorted(groups, key=lambda g: (-len(g.items), g.label))


def _reason_text(reasons: Counter) -> str:
    return ", ".join(f"{REASONS[r]['en']} {n}" for r, n in reasons.most_common())


def render_text(groups: list[Group]) -> str:
    if not groups:
        return "No unanswered questions found.\n"
    total = sum(len(g.items) for g in groups)
    lines = [f"{total} unanswered message(s) in {len(groups)} group(s)", ""]
    for number, item in enumerate(groups, 1):
        lines.append(
            f"{number}. {item.label!r}  x{len(item.items)}  "
            f"{item.first:%Y-%m-%d} .. {item.last:%Y-%m-%d}  ({_reason_text(item.reasons)})"
        )
        lines += [f"     - {wording}" for wording in item.wordings[1:6]]
    return "\n".join(lines) + "\n"


def render_html(groups: list[Group], generated: datetime) -> str:
    rows = []
    for item in groups:
        wordings = "".join(f"<li>{html.escape(w)}</li>" for w in item.wordings[:10])
        rows.append(
            f"<tr><td>{len(item.items)}</td><td><ul>{wordings}</ul></td>"
            f"<td>{item.first:%Y-%m-%d}</td><td>{item.last:%Y-%m-%d}</td>"
            f"<td>{html.escape(_reason_text(item.reasons))}</td></tr>"
        )
    body = "\n".join(rows) or '<tr><td colspan="5">No unanswered questions found.</td></tr>'
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Unanswered questions</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.4em;vertical-align:top}}
ul{{margin:0;padding-left:1.2em}}</style>
</head><body>
<h1>Unanswered questions</h1>
<p>Generated {generated:%Y-%m-%d %H:%M} UTC. Groups of similar messages, largest first.
Add the common ones as examples of a topic (docs/content-guide.md).</p>
<table><thead><tr><th>count</th><th>messages</th><th>first</th><th>last</th><th>why</th></tr></thead>
<tbody>
{body}
</tbody></table></body></html>
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Report the questions the assistant missed.")
    parser.add_argument("--url", default=os.environ.get("TRACKER_STORE_URL") or DEFAULT_URL)
    parser.add_argument("--days", type=int, default=None, help="only the last N days")
    parser.add_argument("--min-count", type=int, default=1, help="hide smaller groups")
    parser.add_argument("--html", type=Path, default=None, help="also write an HTML report here")
    args = parser.parse_args(argv)
    since = None
    if args.days is not None:
        since = datetime.now(timezone.utc) - timedelta(days=args.days)
    try:
        messages = collect(read_events(args.url), since)
    except Exception as error:  # noqa: BLE001 - a clear message instead of a traceback
        print(f"Cannot read the tracker store: {type(error).__name__}: {error}")
        return 1
    groups = [g for g in group(messages) if len(g.items) >= args.min_count]
    print(render_text(groups), end="")
    if args.html:
        args.html.parent.mkdir(parents=True, exist_ok=True)
        args.html.write_text(render_html(groups, datetime.now(timezone.utc)), encoding="utf-8")
        print(f"HTML report: {args.html}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
