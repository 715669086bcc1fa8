"""Where the CPU goes: ours in production mode under load, CPU ms per answered message
for each kind of process (Rasa replicas, hubs, actions, nginx, PostgreSQL, Redis, the load
generator itself), and the busiest process of each kind as a share of one core.

    .venv/bin/python -m scripts.bench_cpu [--conversations 10] [--seconds 20]
    .venv/bin/python -m scripts.bench_cpu --visitors 440 --seconds 40   # open loop, as `make bench`

A development tool beside `make bench`: the bench says how fast, this says what to make cheaper.
With `--visitors` the load is the bench's human-paced step (a message about every 5 s per
visitor, not waiting for answers), to see which process saturates first near the capacity: a
process near 100% of a core queues its work however idle the rest of the machine is.
PostgreSQL and Redis are the machine's servers, so anything else using them at the same time is
counted too.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from scripts.loadgen import closed_loop, open_loop, run_load

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


def cpu_by_process() -> dict[tuple[str, int], float]:
    """CPU seconds (user + system) used so far by each process of a known kind, from /proc; the
    load generator (this process) as ("loadgen", 0)."""
    totals: dict[tuple[str, int], float] = {}
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
        totals[(kind, int(entry.name))] = (int(fields[11]) + int(fields[12])) / TICKS
    usage = resource.getrusage(resource.RUSAGE_SELF)
    totals[("loadgen", 0)] = usage.ru_utime + usage.ru_stime
    return totals


def _report(
    before: dict[tuple[str, int], float],
    after: dict[tuple[str, int], float],
    answered: int,
    wall: float,
) -> None:
    """Per kind: CPU ms per answered message, and the busiest process's share of one core."""
    per_kind: dict[str, float] = defaultdict(float)
    busiest: dict[str, float] = defaultdict(float)
    for key, seconds in after.items():
        # A process started meanwhile (a PostgreSQL backend for a new connection) counts from
        # zero; one that ended meanwhile is missing from `after` and lost, as /proc forgets it.
        used = seconds - before.get(key, 0.0)
        per_kind[key[0]] += used
        busiest[key[0]] = max(busiest[key[0]], used / wall)
    total = 0.0
    for kind in sorted(per_kind, key=per_kind.__getitem__, reverse=True):
        ms = per_kind[kind] * 1000 / answered
        total += ms
        share = f"busiest process {busiest[kind]:4.0%} of a core"
        print(f"  {kind:<12} {ms:6.1f} ms CPU per message, {share}")
    cores = sum(per_kind.values()) / wall
    print(f"  {'total':<12} {total:6.1f} ms CPU per message, {cores:.2f} cores in all")


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
    parser.add_argument(
        "--visitors", type=int, help="open loop: this many visitors, one message every ~5 s each"
    )
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
        if args.visitors:
            load = open_loop(opener, our_script, args.visitors, args.seconds, drain=20.0)
            label = f"{args.visitors} visitors"
        else:
            load = closed_loop(opener, our_script, args.conversations, args.seconds)
            label = f"{args.conversations} conversations"
        before, started = cpu_by_process(), time.monotonic()
        result = run_load(load)
        after, wall = cpu_by_process(), time.monotonic() - started
        for sampler in samplers:
            sampler.wait(timeout=60)
    row = result.summary()
    print(
        f"{label}: {row['msgs_per_s']:.1f} msg/s, p50 {row['p50_ms']} "
        f"p95 {row['p95_ms']} ms, errors {row['errors']}"
    )
    _report(before, after, max(len(result.latencies), 1), wall)


if __name__ == "__main__":
    main()
