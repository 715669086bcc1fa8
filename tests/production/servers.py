"""Private Redis and PostgreSQL servers the fault tests may stop and start.

The machine's own servers serve everything else (and CI after this session), so the tests never
stop those: they run their own instances of the same Debian binaries on free ports.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2
import redis

from scripts.stack import free_port, spawn, stop

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SYSTEM_PATH = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}


def _wait(check, what: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        try:
            check()
            return
        except Exception:
            time.sleep(0.2)
    raise TimeoutError(f"{what} did not come up within {timeout:.0f}s")


class PrivateRedis:
    """redis-server on a free port, nothing kept on disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="fault-redis-"))
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        args = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.process = spawn(args, SYSTEM_PATH, self.workdir / "redis.log")
        _wait(lambda: redis.Redis.from_url(self.url()).ping(), "redis-server", self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (trust auth) on a free port, run as the postgres user."""

    def __init__(self) -> None:
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="fault-pg-"))
        self.data = self.workdir / "data"
        shutil.chown(self.workdir, "postgres", "postgres")
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        self.process: subprocess.Popen | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        args = [
            "runuser",
            "-u",
            "postgres",
            "--",
            str(PG_BIN / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-k",
            str(self.workdir),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
        ]
        self.process = spawn(args, SYSTEM_PATH, self.workdir / "postgres.log")
        _wait(lambda: psycopg2.connect(self.url()).close(), "postgres", self.process)

    def stop(self) -> None:
        """Fast shutdown (SIGINT): open sessions are cut, as when a server goes down."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)
            stop(self.process, timeout=30)
            self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
