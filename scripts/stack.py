"""Start and stop the product's processes on free local ports.

Used by the test suite, the conversation tests and the benchmark, so that each of them talks to
real servers over real HTTP without colliding with a `make run` already on the default ports.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MODEL = Path(os.environ.get("ASSISTANT_MODEL", ROOT / "models" / "current.tar.gz"))


def free_ports(count: int) -> list[int]:
    """`count` different free ports, held open together while they are chosen: one at a time,
    the kernel may hand out the same port twice and two processes would fight over it."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def free_port() -> int:
    return free_ports(1)[0]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def log_tail(process: subprocess.Popen | None, lines: int = 30) -> str:
    """The end of the log `spawn` gave `process`, so a failed start says why."""
    log = getattr(process, "log_path", None)
    if log is None or not Path(log).exists():
        return ""
    text = Path(log).read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return f"\n--- last lines of {log} ---\n" + "\n".join(text)


def wait_for(url: str, timeout: float = 180.0, process: subprocess.Popen | None = None) -> None:
    """Poll `url` until it answers 200; fail early (with the log's end) if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"process for {url} exited with code {process.returncode}{log_tail(process)}"
            )
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not come up within {timeout:.0f}s{log_tail(process)}")


def stop(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    handle = log.open("ab")
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    process.log_path = log  # type: ignore[attr-defined]  # read by log_tail()
    return process


def write_endpoints(directory: Path, action_port: int) -> Path:
    """An endpoints file like endpoints.yml, pointing at an action server on `action_port`."""
    template = (ROOT / "endpoints.yml").read_text(encoding="utf-8")
    text = template.replace("127.0.0.1:5055", f"127.0.0.1:{action_port}")
    path = directory / "endpoints.yml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class CaseStatusService:
    """A running case-status service (services/case_status/) and how to reach it."""

    port: int
    client_id: str
    client_secret: str
    db_url: str
    maintenance_file: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client_env(self) -> dict[str, str]:
        """What the action server needs to use this service as its backend."""
        return {
            "CASE_STATUS_URL": self.url,
            "CASE_STATUS_CLIENT_ID": self.client_id,
            "CASE_STATUS_CLIENT_SECRET": self.client_secret,
        }

    def set_down(self, down: bool) -> None:
        """Switch the service's maintenance mode (every lookup answers 503) on or off."""
        if down:
            self.maintenance_file.touch()
        else:
            self.maintenance_file.unlink(missing_ok=True)


def start_case_status(
    workdir: Path, env: dict[str, str] | None = None, port: int | None = None
) -> CaseStatusService:
    """The case-status service on a free port, with fresh credentials and (unless `env` names
    another store) a fresh SQLite store in `workdir`. `env` may add test settings such as
    CASE_STATUS_DELAY_SECONDS or CASE_STATUS_TOKEN_TTL."""
    port = port or free_port()
    client_id, secret = f"test-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    maintenance = workdir / f"case-status-{port}.down"
    service_env = {
        **os.environ,
        "CASE_STATUS_HOST": "127.0.0.1",
        "CASE_STATUS_PORT": str(port),
        "CASE_STATUS_DB_URL": f"sqlite:///{workdir}/case_status-{port}.db",
        "CASE_STATUS_CLIENT_ID": client_id,
        "CASE_STATUS_CLIENT_SECRET": secret,
        "CASE_STATUS_MAINTENANCE_FILE": str(maintenance),
        **(env or {}),
    }
    process = spawn(
        [sys.executable, "-m", "services.case_status"],
        service_env,
        workdir / f"case_status-{port}.log",
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/health", timeout=60, process=process)
    except Exception:
        stop(process)
        raise
    return CaseStatusService(
        port, client_id, secret, service_env["CASE_STATUS_DB_URL"], maintenance, process
    )


@dataclass
class Stack:
    """A running Rasa server and action server (and the case-status service when asked for)."""

    rasa_port: int
    action_port: int
    token: str
    workdir: Path
    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)
    case_status: CaseStatusService | None = None

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def send(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        """One visitor message through the REST channel; returns the bot's messages."""
        reply = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text, "metadata": metadata or {}},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
        )
        reply.raise_for_status()
        return reply.json()

    def tracker(self, sender: str) -> dict:
        reply = requests.get(
            f"{self.rasa_url}/conversations/{sender}/tracker",
            params={"token": self.token},
            timeout=30,
        )
        reply.raise_for_status()
        return reply.json()

    def close(self) -> None:
        for process in reversed(self.processes):
            stop(process)


def start_action_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    env = {**env, "SANIC_HOST": "127.0.0.1"}
    process = spawn(
        [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(port)],
        env,
        log,
    )
    wait_for(f"http://127.0.0.1:{port}/health", process=process)
    return process


def rasa_command(port: int, endpoints: Path, token: str, model: Path = MODEL) -> list[str]:
    """`rasa run` with the REST channel and the token-protected API on localhost."""
    return [
        str(BIN / "rasa"),
        "run",
        "--enable-api",
        # One argument: a token may start with "-", which argparse would take for an option.
        f"--auth-token={token}",
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(ROOT / "credentials.yml"),
    ]


def spawn_rasa(
    port: int, endpoints: Path, token: str, env: dict[str, str], log: Path, model: Path = MODEL
) -> subprocess.Popen:
    """Start Rasa without waiting for it."""
    return spawn(rasa_command(port, endpoints, token, model), {**env, "RASA_TOKEN": token}, log)


def start_rasa(
    port: int, endpoints: Path, token: str, env: dict[str, str], log: Path, model: Path = MODEL
) -> subprocess.Popen:
    process = spawn_rasa(port, endpoints, token, env, log, model)
    wait_for(f"http://127.0.0.1:{port}/", timeout=300, process=process)
    # The server answers / before the model is loaded; /status needs the model.
    wait_for(f"http://127.0.0.1:{port}/status?token={token}", timeout=300, process=process)
    return process


@contextlib.contextmanager
def running_stack(
    extra_env: dict[str, str] | None = None,
    case_status: bool = False,
    case_status_env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """Rasa and the action server on free ports, with a fresh SQLite tracker store by default.

    With `case_status=True`, the case-status service runs too (settings from
    `case_status_env`) and the action server uses it as its backend; otherwise the action
    server has no case-status backend, whatever the calling environment says.
    """
    if not MODEL.exists():
        raise FileNotFoundError(f"{MODEL} is missing: run `make train` first")
    workdir = Path(tempfile.mkdtemp(prefix="assistant-stack-"))
    env = {
        **os.environ,
        "TRACKER_STORE_URL": f"sqlite:///{workdir}/tracker.db",
        "LOCK_STORE_URL": "",
        "CASE_STATUS_URL": "",
        **(extra_env or {}),
    }
    stack = Stack(*free_ports(2), secrets.token_urlsafe(24), workdir, env)
    try:
        if case_status:
            stack.case_status = start_case_status(workdir, case_status_env)
            stack.processes.append(stack.case_status.process)
            env.update(stack.case_status.client_env())
        stack.processes.append(start_action_server(stack.action_port, env, workdir / "actions.log"))
        endpoints = write_endpoints(workdir, stack.action_port)
        stack.processes.append(
            start_rasa(stack.rasa_port, endpoints, stack.token, env, workdir / "rasa.log")
        )
        yield stack
    finally:
        stack.close()


# --- chat hub: the hub on a free port, pointing at a running stack (tests, bench)
@dataclass
class HubProcess:
    """A chat hub process; `restart()` keeps its port, secret and transcripts."""

    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> None:
        self.process = spawn([str(BIN / "python"), "-m", "services.hub"], self.env, self.log)
        wait_for(f"{self.url}/health", timeout=60, process=self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    def restart(self) -> None:
        self.stop()
        self.start()


def start_hub(
    stack: Stack, extra_env: dict[str, str] | None = None, workdir: Path | None = None
) -> HubProcess:
    """A hub on a free port relaying to `stack`, with its own SQLite transcripts."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="assistant-hub-"))
    port = free_port()
    env = {
        **stack.env,
        "HUB_HOST": "127.0.0.1",
        "HUB_PORT": str(port),
        "HUB_SECRET": secrets.token_urlsafe(32),
        "HUB_DB_URL": f"sqlite:///{workdir}/hub.db",
        "RASA_URL": stack.rasa_url,
        "RASA_TOKEN": stack.token,
        **(extra_env or {}),
    }
    hub = HubProcess(int(env["HUB_PORT"]), env, workdir / "hub.log")
    hub.start()
    return hub


@contextlib.contextmanager
def running_hub(stack: Stack, extra_env: dict[str, str] | None = None) -> Iterator[HubProcess]:
    hub = start_hub(stack, extra_env)
    try:
        yield hub
    finally:
        hub.stop()
