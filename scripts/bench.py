"""`make bench`: ours in production mode against the stock `rasa init` assistant, in one run.

The stock assistant is trained (and cached in var/bench/), served and driven over Rasa's REST
channel with its own scripts (greet, mood, bot challenge, goodbye). Ours is served in production
mode (scripts/bench_production.py: 2 Rasa and 2 hub replicas behind nginx, actions, case-status
service, PostgreSQL and Redis) and driven over the hub's WebSocket like browsers, with scripts of
FAQ, case status, fallback and handoff. Both are up for the whole run but only one is under load
at any moment: they take turns, level by level and step by step, so that the machine's drift
over a run (this is a shared machine) reaches both alike.

Each is measured two ways (scripts/loadgen.py): saturated (1, 10, 50, 200 conversations sending
back to back: messages/s, p50/p95/p99, errors) and human-paced (visitors each sending a message
about every 5 s, open loop, stepped up until p95 passes 500 ms or errors appear, then the gap
between the last step held and the first missed halved twice: the capacity is the most visitors
held; each assistant climbs its own ladder). Printed side by side with our/stock ratios;
written to results/bench/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

from scripts.loadgen import (
    LoadResult,
    Opener,
    Script,
    Turn,
    closed_loop,
    open_loop,
    resident_memory_mb,
    rest_opener,
    run_load,
)
from scripts.stack import BIN, MODEL, ROOT, free_port, stop

RASA = str(BIN / "rasa")
CACHE = ROOT / "var" / "bench"
RESULTS = ROOT / "results" / "bench"
P95_LIMIT_MS = 500.0
TARGET_RATIO = 3.0

STOCK_SCRIPTS: tuple[Script, ...] = (
    (Turn("hello"), Turn("I am great"), Turn("bye")),
    (Turn("hi"), Turn("I am sad"), Turn("yes"), Turn("goodbye")),
    (Turn("are you a bot?"), Turn("bye")),
)


def stock_script(index: int) -> Script:
    return STOCK_SCRIPTS[index % len(STOCK_SCRIPTS)]


@dataclass
class Plan:
    """Levels and durations; `--quick` is a smaller one for development."""

    levels: tuple[int, ...] = (1, 10, 50, 200)
    saturated_seconds: float = 30.0
    # Stepped up until p95 passes the limit; the steps reach far enough that neither assistant
    # runs out of them on a fast machine (here the stock one held 240 visitors, ours 480).
    steps: tuple[int, ...] = (10, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640, 960, 1280)
    step_seconds: float = 40.0
    period: float = 5.0
    drain: float = 20.0
    breakdown_seconds: float = 10.0
    # The steps are up to 1.5 times apart: after the first step missed, the gap to the last one
    # held is halved this many times (to the nearest 10 visitors), so the capacity is known
    # within about 10%, not 50%.
    refine: int = 2
    # After any missed step, a pause for its backlog to clear before the next step of either.
    settle_seconds: float = 20.0

    @classmethod
    def quick(cls) -> Plan:
        return cls((1, 10, 50), 10.0, (5, 10, 20, 40), 15.0, 5.0, 10.0, 5.0, 1, 5.0)


@dataclass
class Measured:
    name: str
    transport: str
    cold_start_seconds: float = 0.0
    memory_mb: float = 0.0
    training_seconds: float | None = None
    saturated: dict[int, LoadResult] = field(default_factory=dict)
    paced: list[LoadResult] = field(default_factory=list)
    capacity: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def peak(self) -> float:
        return max((r.messages_per_second for r in self.saturated.values()), default=0.0)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "transport": self.transport,
            "cold_start_s": round(self.cold_start_seconds, 1),
            "memory_mb": round(self.memory_mb),
            "training_s": None if self.training_seconds is None else round(self.training_seconds),
            "saturated": [result.summary() for result in self.saturated.values()],
            "peak_msgs_per_s": round(self.peak, 2),
            "human_paced": [result.summary() for result in self.paced],
            "capacity_visitors": self.capacity,
            **self.extra,
        }


# --- measuring
def passes(result: LoadResult) -> bool:
    """A human-paced step the assistant kept up with: p95 within the limit, no errors."""
    return result.errors == 0 and bool(result.latencies) and result.percentile(0.95) <= P95_LIMIT_MS


def midpoint(held: int, missed: int) -> int | None:
    """The number of visitors halfway between a step held and one missed, to the nearest 10;
    None when no such number lies strictly between them."""
    middle = round((held + missed) / 20) * 10
    return middle if held < middle < missed else None


OpenerContext = Callable[[int], contextlib.AbstractAsyncContextManager[Opener]]


@dataclass
class Side:
    """One assistant under test: its figures, how visitors reach it, what they say."""

    measured: Measured
    opener_for: OpenerContext
    script_for: Callable[[int], Script]


class Ladder:
    """One assistant's human-paced stepping: up the plan's steps until one is missed, then the
    gap to the last step held halved `plan.refine` times. `next()` says how many visitors the
    next step has (None: done), `record()` takes its outcome; `held` is the capacity so far."""

    def __init__(self, plan: Plan) -> None:
        self.steps, self.refinements = list(plan.steps), plan.refine
        self.held, self.missed = 0, None
        self._climbed = 0

    def next(self) -> int | None:
        if self.missed is None:
            return self.steps[self._climbed] if self._climbed < len(self.steps) else None
        if self.refinements <= 0 or not self.held:
            return None
        return midpoint(self.held, self.missed)

    def record(self, visitors: int, held: bool) -> None:
        if self.missed is None:
            self._climbed += 1
        else:
            self.refinements -= 1
        if held:
            self.held = visitors
        else:
            self.missed = visitors


async def _measure(sides: list[Side], plan: Plan) -> None:
    """Every level and step, each assistant in turn (never two under load at once): the
    machine's speed drifts over a run, and taking turns exposes both to the same drift instead
    of measuring one in the first half and the other in the second."""
    for side in sides:
        async with side.opener_for(2) as opener:  # warm-up: the first messages load lazy parts
            await closed_loop(opener, side.script_for, 2, plan.saturated_seconds / 3)
    for level in plan.levels:
        for side in sides:
            async with side.opener_for(level) as opener:
                result = await closed_loop(opener, side.script_for, level, plan.saturated_seconds)
            side.measured.saturated[level] = result
            _progress(side.measured.name, f"saturated c={level}", result)

    async def step(side: Side, visitors: int) -> bool:
        async with side.opener_for(visitors * 2) as opener:
            result = await open_loop(
                opener,
                side.script_for,
                visitors,
                plan.step_seconds,
                period=plan.period,
                seed=visitors,  # the same arrivals for both assistants
                drain=plan.drain,
            )
        side.measured.paced.append(result)
        _progress(side.measured.name, f"paced {visitors} visitors", result)
        return passes(result)

    ladders = [Ladder(plan) for _ in sides]
    while any(ladder.next() is not None for ladder in ladders):
        for side, ladder in zip(sides, ladders, strict=True):
            visitors = ladder.next()
            if visitors is None:
                continue
            held = await step(side, visitors)
            ladder.record(visitors, held)
            if not held:
                # A missed step may leave work behind: let it clear before the next step,
                # whichever assistant's it is.
                await asyncio.sleep(plan.settle_seconds)
    for side, ladder in zip(sides, ladders, strict=True):
        side.measured.capacity = ladder.held


def _progress(name: str, label: str, result: LoadResult) -> None:
    row = result.summary()
    print(
        f"  {name:>5} {label:<20} {row['msgs_per_s']:7.1f} msg/s  p50 {row['p50_ms']} "
        f"p95 {row['p95_ms']} p99 {row['p99_ms']} ms  errors {row['errors']}",
        flush=True,
    )


# --- the stock assistant
def train(project: Path, out: Path) -> tuple[Path, float]:
    """Train the project in `project` into `out`; return the model and the seconds it took."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    subprocess.run(
        [RASA, "train", "--fixed-model-name", "stock", "--out", str(out)],
        cwd=project,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return out / "stock.tar.gz", time.monotonic() - started


def stock_project(workdir: Path) -> Path:
    """The scaffold `rasa init` writes, copied from the installed Rasa package."""
    import rasa.cli

    project = workdir / "stock"
    shutil.copytree(Path(rasa.cli.__file__).parent / "initial_project", project)
    return project


def stock_model(project: Path, retrain: bool) -> tuple[Path, float | None]:
    """The stock model, trained once per Rasa version (it never changes otherwise)."""
    import rasa

    cached = CACHE / f"stock-rasa-{rasa.__version__}.tar.gz"
    if cached.exists() and not retrain:
        return cached, None
    print("Training the stock `rasa init` assistant ...", flush=True)
    model, seconds = train(project, project / "models")
    CACHE.mkdir(parents=True, exist_ok=True)
    shutil.copy(model, cached)
    return cached, seconds


def wait_for_answer(url: str, process: subprocess.Popen) -> None:
    """Poll with "hello" until the server answers it; this ends the cold start."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        with contextlib.suppress(requests.RequestException):
            reply = requests.post(
                f"{url}/webhooks/rest/webhook",
                json={"sender": "bench-cold-start", "message": "hello"},
                timeout=10,
            )
            if reply.status_code == 200 and reply.json():
                return
        time.sleep(0.2)
    raise TimeoutError("the server did not answer within 10 minutes")


@contextlib.contextmanager
def serve_stock(project: Path, model: Path, measured: Measured) -> Iterator[tuple[str, int]]:
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [RASA, "run", "-i", "127.0.0.1", "-p", str(port), "--model", str(model)],
        cwd=project,
        stdout=(project / "stock-rasa.log").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_answer(url, process)
        measured.cold_start_seconds = time.monotonic() - started
        yield url, process.pid
    finally:
        stop(process)


@contextlib.contextmanager
def stock_side(workdir: Path, retrain: bool) -> Iterator[Side]:
    """The stock assistant served and ready; its memory is read when the load is over."""
    measured = Measured("stock", "REST, straight to the one Rasa process")
    project = stock_project(workdir)
    model, measured.training_seconds = stock_model(project, retrain)
    print("Serving and loading the stock assistant ...", flush=True)
    with serve_stock(project, model, measured) as (url, pid):

        @contextlib.asynccontextmanager
        async def opener_for(connections: int) -> AsyncIterator[Opener]:
            async with rest_opener(url, None, connections) as opener:
                yield opener

        yield Side(measured, opener_for, stock_script)
        measured.memory_mb = resident_memory_mb(pid)


# --- ours
@contextlib.contextmanager
def our_side(plan: Plan, with_breakdown: bool) -> Iterator[Side]:
    """Ours in production mode, served and ready; when the load is over, its memory and (unless
    turned off) where one message's time goes."""
    from scripts.bench_breakdown import breakdown, report
    from scripts.bench_production import hub_opener, our_script, running_bench_production

    measured = Measured("ours", "WebSocket through nginx to 2 hubs, 2 Rasa replicas")
    print("Serving ours in production mode and loading it ...", flush=True)
    started = time.monotonic()
    with running_bench_production() as production:
        measured.cold_start_seconds = time.monotonic() - started

        @contextlib.asynccontextmanager
        async def opener_for(connections: int) -> AsyncIterator[Opener]:
            yield hub_opener(production)

        yield Side(measured, opener_for, our_script)
        measured.memory_mb = sum(resident_memory_mb(pid) for pid in production.pids())
        if with_breakdown:
            try:
                parts = breakdown(
                    production, our_script, measured.saturated.get(1), plan.breakdown_seconds
                )
            except Exception as error:  # the figures above are still worth writing
                print(f"  (no breakdown: {error!r})", flush=True)
            else:
                measured.extra["breakdown"] = parts
                print("\n## Where one message's time goes in ours (one conversation)\n")
                print(report(parts), flush=True)


# --- the report
def _ratio(ours: float | None, stock: float | None) -> str:
    return f"{ours / stock:.2f}" if ours and stock else "-"


def _latencies(row: dict[str, Any]) -> str:
    values = [row[key] for key in ("p50_ms", "p95_ms", "p99_ms")]
    return " / ".join("-" if value is None else f"{value:.0f}" for value in values)


def report(ours: Measured, stock: Measured, plan: Plan) -> str:
    lines = [
        f"## Saturated: conversations sending back to back, {plan.saturated_seconds:.0f} s each",
        "",
        "| conversations | ours msg/s | stock msg/s | ours/stock | ours p50/p95/p99 ms "
        "| stock p50/p95/p99 ms | ours errors | stock errors |",
        "|---:|---:|---:|---:|---|---|---:|---:|",
    ]
    for level in plan.levels:
        mine, theirs = ours.saturated[level].summary(), stock.saturated[level].summary()
        lines.append(
            f"| {level} | {mine['msgs_per_s']:.1f} | {theirs['msgs_per_s']:.1f} "
            f"| {_ratio(mine['msgs_per_s'], theirs['msgs_per_s'])} | {_latencies(mine)} "
            f"| {_latencies(theirs)} | {mine['errors']} | {theirs['errors']} |"
        )
    lines.append(
        f"| peak | {ours.peak:.1f} | {stock.peak:.1f} | {_ratio(ours.peak, stock.peak)} | | | | |"
    )
    lines += [
        "",
        f"## Human-paced: a message about every {plan.period:.0f} s per visitor, open loop, "
        f"{plan.step_seconds:.0f} s per step",
        "",
        "| visitors | offered msg/s | ours p50/p95/p99 ms | ours errors "
        "| stock p50/p95/p99 ms | stock errors |",
        "|---:|---:|---|---:|---|---:|",
    ]
    ours_steps = {r.concurrency: r.summary() for r in ours.paced}
    stock_steps = {r.concurrency: r.summary() for r in stock.paced}
    for visitors in sorted(set(ours_steps) | set(stock_steps)):
        mine, theirs = ours_steps.get(visitors), stock_steps.get(visitors)
        lines.append(
            f"| {visitors} | {visitors / plan.period:.0f} "
            f"| {_latencies(mine) if mine else 'not run'} | {mine['errors'] if mine else ''} "
            f"| {_latencies(theirs) if theirs else 'not run'} "
            f"| {theirs['errors'] if theirs else ''} |"
        )
    lines += [
        "",
        f"Capacity (most visitors held, p95 <= {P95_LIMIT_MS:.0f} ms and no errors): ours "
        f"{ours.capacity} visitors, stock {stock.capacity}, ours/stock "
        f"{_ratio(ours.capacity, stock.capacity)}",
        f"Cold start s: ours {ours.cold_start_seconds:.0f} (whole plan), stock "
        f"{stock.cold_start_seconds:.0f}; resident memory MiB after the load: ours "
        f"{ours.memory_mb:.0f} (every process), stock {stock.memory_mb:.0f}",
        "",
        verdict(ours, stock),
    ]
    return "\n".join(lines)


def verdict(ours: Measured, stock: Measured) -> str:
    """The issue's targets: 3x the stock assistant both ways, with no errors."""
    saturated = ours.peak >= TARGET_RATIO * stock.peak
    paced = ours.capacity >= TARGET_RATIO * max(stock.capacity, 1)
    clean = all(r.errors == 0 for r in ours.saturated.values())
    return (
        f"Targets (x{TARGET_RATIO:.0f} the stock assistant): saturated throughput "
        f"{'met' if saturated else 'NOT met'}; human-paced capacity "
        f"{'met' if paced else 'NOT met'}; saturated errors "
        f"{'none' if clean else 'SOME (see the table)'}"
    )


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def write_results(ours: Measured, stock: Measured, plan: Plan, quick: bool, before: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"bench-{stamp}{'-quick' if quick else ''}.json"
    data = {
        "quick": quick,
        "plan": plan.__dict__,
        "machine_before": before,
        "machine_after": machine(),
        "p95_limit_ms": P95_LIMIT_MS,
        "ours": ours.to_json(),
        "stock": stock.to_json(),
        "ratios": {
            "peak_msgs_per_s": round(ours.peak / stock.peak, 2) if stock.peak else None,
            "capacity": round(ours.capacity / stock.capacity, 2) if stock.capacity else None,
        },
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer levels, shorter steps")
    parser.add_argument("--retrain-stock", action="store_true", help="ignore var/bench/'s model")
    parser.add_argument(
        "--no-breakdown", action="store_true", help="skip timing the parts of one message"
    )
    args = parser.parse_args()
    if not MODEL.exists():
        print(f"error: no trained model at {MODEL}: run `make train`", file=sys.stderr)
        return 1
    plan = Plan.quick() if args.quick else Plan()
    before = machine()
    print(f"Machine: {before['cores']} cores, load average {before['load_average']}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="assistant-bench-"))
    try:
        # Both served at once (an idle server costs next to nothing), driven in turn.
        with contextlib.ExitStack() as serving:
            stock_under_test = serving.enter_context(stock_side(workdir, args.retrain_stock))
            our_under_test = serving.enter_context(our_side(plan, not args.no_breakdown))
            run_load(_measure([stock_under_test, our_under_test], plan))
        stock, ours = stock_under_test.measured, our_under_test.measured
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n" + report(ours, stock, plan), flush=True)
    print(f"\nWritten: {write_results(ours, stock, plan, args.quick, before)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
