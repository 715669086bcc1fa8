"""`make bench`: our assistant against the stock `rasa init` assistant, measured in one run.

Both are trained (timed), served one after the other on this machine (so they never share the
cores), and driven with the same REST load at 1, 10 and 50 concurrent conversations. Printed side
by side: messages per second, p50/p95/p99 latency, errors, cold start (process start to first
answer), resident memory after the load, training time, and our/stock ratios.

Later parts add their own sections (the hub's WebSocket load, case-status lookups) when present.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from scripts.loadgen import LoadResult, drive, resident_memory_mb
from scripts.stack import (
    BIN,
    MODEL,
    ROOT,
    Stack,
    free_port,
    spawn_rasa,
    start_action_server,
    stop,
    write_endpoints,
)

LEVELS = (1, 10, 50)
RASA = str(BIN / "rasa")


@dataclass
class Measured:
    name: str
    training_seconds: float | None = None
    cold_start_seconds: float = 0.0
    memory_mb: float = 0.0
    loads: dict[int, LoadResult] = field(default_factory=dict)


def train(project: Path, out: Path) -> tuple[Path, float]:
    """Train the project in `project` into `out`; return the model and the seconds it took."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    subprocess.run(
        [RASA, "train", "--fixed-model-name", "bench", "--out", str(out)],
        cwd=project,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return out / "bench.tar.gz", time.monotonic() - started


def stock_project(workdir: Path) -> Path:
    """The scaffold `rasa init` writes, copied from the installed Rasa package."""
    import rasa.cli

    project = workdir / "stock"
    shutil.copytree(Path(rasa.cli.__file__).parent / "initial_project", project)
    return project


def wait_for_answer(url: str, token: str | None, process: subprocess.Popen) -> None:
    """Poll with "hello" until the server answers it; this ends the cold start."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        with contextlib.suppress(requests.RequestException):
            reply = requests.post(
                f"{url}/webhooks/rest/webhook",
                json={"sender": "bench-cold-start", "message": "hello"},
                headers=headers,
                timeout=10,
            )
            if reply.status_code == 200 and reply.json():
                return
        time.sleep(0.2)
    raise TimeoutError("the server did not answer within 10 minutes")


@contextlib.contextmanager
def serve_ours(model: Path, workdir: Path, measured: Measured) -> Iterator[Stack]:
    env = {
        **os.environ,
        "TRACKER_STORE_URL": f"sqlite:///{workdir}/ours-tracker.db",
        "LOCK_STORE_URL": "",
    }
    stack = Stack(free_port(), free_port(), secrets.token_urlsafe(24), workdir, env)
    actions = start_action_server(stack.action_port, env, workdir / "ours-actions.log")
    stack.processes.append(actions)
    endpoints = write_endpoints(workdir, stack.action_port)
    started = time.monotonic()
    rasa = spawn_rasa(
        stack.rasa_port, endpoints, stack.token, env, workdir / "ours-rasa.log", model
    )
    stack.processes.append(rasa)
    try:
        wait_for_answer(stack.rasa_url, stack.token, rasa)
        measured.cold_start_seconds = time.monotonic() - started
        yield stack
    finally:
        stack.close()


@contextlib.contextmanager
def serve_stock(
    project: Path, model: Path, workdir: Path, measured: Measured
) -> Iterator[tuple[str, list[int]]]:
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [RASA, "run", "-i", "127.0.0.1", "-p", str(port), "--model", str(model)],
        cwd=project,
        stdout=(workdir / "stock-rasa.log").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_answer(url, None, process)
        measured.cold_start_seconds = time.monotonic() - started
        yield url, [process.pid]
    finally:
        stop(process)


def load(url: str, token: str | None, measured: Measured, seconds: float, pids: list[int]) -> None:
    """Drive every level, then read the resident memory the load left the processes with."""
    drive(url, token, 2, 3.0)  # warm-up: first requests load lazy parts of the pipeline
    for level in LEVELS:
        measured.loads[level] = drive(url, token, level, seconds)
        result = measured.loads[level]
        print(
            f"  {measured.name:>5} c={level:<3} {result.messages_per_second:7.1f} msg/s "
            f"p95 {result.percentile(0.95):7.0f} ms  errors {result.errors}",
            flush=True,
        )
    measured.memory_mb = sum(resident_memory_mb(pid) for pid in pids)


def _ratio(ours: float | None, stock: float | None) -> str:
    if not ours or not stock:
        return "-"
    return f"{ours / stock:.2f}"


def report(ours: Measured, stock: Measured) -> str:
    rows: list[tuple[str, float | None, float | None, str]] = []
    for level in LEVELS:
        mine, theirs = ours.loads[level], stock.loads[level]
        rows.append(
            (
                f"c={level} messages/s",
                mine.messages_per_second,
                theirs.messages_per_second,
                "{:.1f}",
            )
        )
        for share, label in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
            rows.append(
                (
                    f"c={level} {label} ms",
                    mine.percentile(share),
                    theirs.percentile(share),
                    "{:.0f}",
                )
            )
        rows.append((f"c={level} errors", mine.errors, theirs.errors, "{:.0f}"))
    rows.append(("cold start s", ours.cold_start_seconds, stock.cold_start_seconds, "{:.1f}"))
    rows.append(("resident memory MiB", ours.memory_mb, stock.memory_mb, "{:.0f}"))
    rows.append(("training s", ours.training_seconds, stock.training_seconds, "{:.0f}"))

    def cell(value: float | None, pattern: str) -> str:
        return "-" if value is None else pattern.format(value)

    lines = [
        f"| {'measure':<22} | {'ours':>9} | {'stock':>9} | {'ours/stock':>10} |",
        f"|{'-' * 24}|{'-' * 11}|{'-' * 11}|{'-' * 12}|",
    ]
    for label, mine, theirs, pattern in rows:
        lines.append(
            f"| {label:<22} | {cell(mine, pattern):>9} | {cell(theirs, pattern):>9} "
            f"| {_ratio(mine, theirs):>10} |"
        )
    return "\n".join(lines)


def extra_sections(stack: Stack) -> None:
    """Sections contributed by other parts of the product, run against our live stack."""
    for module_name, function in (
        ("scripts.bench_hub", "run_hub_bench"),
        ("scripts.bench_case_status", "run_case_status_bench"),
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        runner = getattr(module, function, None)
        if runner is not None:
            print(f"\n## {module_name.removeprefix('scripts.bench_').replace('_', ' ')}")
            runner(stack)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="load duration per level")
    parser.add_argument(
        "--reuse-model",
        action="store_true",
        help="serve models/current.tar.gz instead of training ours again (no training time)",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="assistant-bench-"))
    ours, stock = Measured("ours"), Measured("stock")
    try:
        print(f"Training the stock `rasa init` assistant in {workdir} ...", flush=True)
        stock_dir = stock_project(workdir)
        stock_model, stock.training_seconds = train(stock_dir, stock_dir / "models")
        if args.reuse_model:
            our_model = MODEL
        else:
            print("Training ours ...", flush=True)
            our_model, ours.training_seconds = train(ROOT, workdir / "ours-models")
        print("Serving and loading the stock assistant ...", flush=True)
        with serve_stock(stock_dir, stock_model, workdir, stock) as (url, pids):
            load(url, None, stock, args.seconds, pids)
        print("Serving and loading ours ...", flush=True)
        with serve_ours(our_model, workdir, ours) as stack:
            pids = [process.pid for process in stack.processes]
            load(stack.rasa_url, stack.token, ours, args.seconds, pids)
            print(f"\n## REST channel, {args.seconds:.0f} s per level, 2 cores\n")
            print(report(ours, stock), flush=True)
            extra_sections(stack)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
