"""Where the CPU goes: ours in production mode under a closed loop, CPU ms per answered message
for each kind of process (Rasa replicas, hubs, actions, nginx, PostgreSQL, Redis, the load
generator itself).

    .venv/bin/python -m scripts.bench_cpu [--conversations 10] [--seconds 20]

A development tool beside `make bench`: the bench says how fast, this says what to make cheaper.
PostgreSQL and Redis are the machine's servers, so anything else using them at the same time is
counted too.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

from scripts.loadgen import closed_loop, run_load

TICKS = os.sysconf("SC_CLK_TCK")


def _kind(cmdline: str, comm: str) -> str | None:
    if "rasa run actions" in cmdline or "rasa_sdk" in cmdline:
        return "actions"
    if "rasa run" in cmdline or "bin/rasa" in cmdline:
        return "rasa"
    if "services.hub" in cmdline:
        return "hub"
    if "services.case_status" in cmdline:
        return "case_status"
    if comm.startswith("nginx"):
        return "nginx"
    if comm.startswith("postgres") or cmdline.startswith("postgres"):
        return "postgres"
    if comm.startswith("redis-server"):
        return "redis"
    return None


def cpu_by_kind() -> dict[str, float]:
    """CPU seconds (user + system) used so far by every process of each kind, from /proc."""
    totals: dict[str, float] = defaultdict(float)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        kind = _kind(cmdline, comm)
        if kind is None:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        totals[kind] += (int(fields[11]) + int(fields[12])) / TICKS
    usage = resource.getrusage(resource.RUSAGE_SELF)
    totals["loadgen"] = usage.ru_utime + usage.ru_stime
    return totals


def _start_py_spy(production: Any, folder: str, seconds: float) -> list[subprocess.Popen]:
    """py-spy (installed apart, `pip install py-spy`) on every Rasa replica and hub, raw stacks."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    samplers = []
    for name, process in production.processes.items():
        if name.startswith(("rasa", "hub", "actions")):
            command = ["py-spy", "record", "--pid", str(process.pid), "--duration"]
            command += [str(int(seconds)), "--rate", "200", "--format", "raw", "--gil"]
            command += ["--nonblocking"]
            command += ["-o", f"{folder}/{name}.txt"]
            samplers.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
    return samplers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rasa-replicas", type=int, help="instead of production.env's")
    parser.add_argument("--hub-replicas", type=int, help="instead of production.env's")
    parser.add_argument(
        "--py-spy", metavar="DIR", help="also sample each Rasa replica and hub with py-spy into DIR"
    )
    args = parser.parse_args()

    from scripts.bench_production import hub_opener, our_script, running_bench_production

    with running_bench_production(args.rasa_replicas, args.hub_replicas) as production:
        opener = hub_opener(production)
        run_load(closed_loop(opener, our_script, 2, 5.0))  # warm-up
        samplers = _start_py_spy(production, args.py_spy, args.seconds) if args.py_spy else []
        before = cpu_by_kind()
        result = run_load(closed_loop(opener, our_script, args.conversations, args.seconds))
        after = cpu_by_kind()
        for sampler in samplers:
            sampler.wait(timeout=60)
    answered = max(len(result.latencies), 1)
    row = result.summary()
    print(
        f"{args.conversations} conversations: {row['msgs_per_s']:.1f} msg/s, p50 {row['p50_ms']} "
        f"p95 {row['p95_ms']} ms, errors {row['errors']}"
    )
    total = 0.0
    for kind in sorted(after, key=lambda k: after[k] - before.get(k, 0.0), reverse=True):
        ms = (after[kind] - before.get(kind, 0.0)) * 1000 / answered
        total += ms
        print(f"  {kind:<12} {ms:6.1f} ms CPU per message")
    print(f"  {'total':<12} {total:6.1f} ms CPU per message")


if __name__ == "__main__":
    main()
