"""Production mode on one machine: Rasa and hub replicas behind nginx, stores on PostgreSQL/Redis.

`make prod` writes var/prod/ (nginx.conf, Procfile, endpoints.yml) and runs it with honcho; the
fault tests and `make bench` start the same plan process by process (`running_production`), so
that they can kill one replica. nginx listens where the single processes would (HUB_PORT for
visitors, RASA_PORT for the hubs and the handoff), which keeps every other setting unchanged.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from scripts.preflight import read_env
from scripts.stack import BIN, MODEL, ROOT, free_ports, spawn, stop, wait_for, write_endpoints

NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
# Where `make prod` writes its files (the tests point it elsewhere).
PROD_DIR = Path(os.environ.get("PRODUCTION_RUN_DIR") or ROOT / "var" / "prod")


class StoreServer(Protocol):
    """A Redis or PostgreSQL server that names its databases' URLs."""

    def url(self, name: Any) -> str: ...


def production_settings(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """settings.env, then production.env, then secrets, then the environment, then `overrides`."""
    settings = read_env(ROOT / "settings.env")
    settings.update(read_env(ROOT / "production.env"))
    secrets_file = ROOT / "var" / "secrets.env"
    if secrets_file.exists():
        settings.update(read_env(secrets_file))
    settings.update(os.environ)
    settings.update(overrides or {})
    return {key: value.strip('"') for key, value in settings.items()}


def _ports(settings: dict[str, str], name: str) -> list[int]:
    ports = [int(port) for port in settings.get(name, "").split(",") if port.strip()]
    if not ports:
        raise ValueError(f"{name} must list at least one port (one per replica)")
    return ports


@dataclass
class ProcessSpec:
    """One process of the plan: its command (`${NAME}` is read from the settings) and extra env."""

    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ready_url: str = ""

    def procfile_line(self) -> str:
        assignments = " ".join(f"{key}={shlex.quote(value)}" for key, value in self.env.items())
        # `${NAME}` stays for honcho's shell to fill in from the env files.
        words = [f'"{arg}"' if "${" in arg else shlex.quote(arg) for arg in self.command]
        return f"{self.name}: {assignments + ' ' if assignments else ''}{' '.join(words)}"

    def resolved(self, settings: dict[str, str]) -> list[str]:
        return [_expand(arg, settings) for arg in self.command]


def plan(settings: dict[str, str], workdir: Path) -> list[ProcessSpec]:
    """Every process of production mode, in start order (backends before what calls them)."""
    local = "127.0.0.1"
    endpoints = write_endpoints(workdir, int(settings.get("ACTION_SERVER_PORT") or 5055))
    specs = [
        ProcessSpec(
            "actions",
            [
                str(BIN / "rasa"),
                "run",
                "actions",
                "--actions",
                "actions",
                "--port",
                "${ACTION_SERVER_PORT}",
            ],
            {"SANIC_HOST": settings.get("ACTION_SERVER_HOST") or local},
            f"http://{local}:{settings.get('ACTION_SERVER_PORT')}/health",
        ),
        ProcessSpec(
            "case_status",
            [str(BIN / "python"), "-m", "services.case_status"],
            ready_url=f"http://{local}:{settings.get('CASE_STATUS_PORT')}/health",
        ),
    ]
    for index, port in enumerate(_ports(settings, "RASA_REPLICA_PORTS"), start=1):
        specs.append(
            ProcessSpec(
                f"rasa_{index}",
                [
                    str(BIN / "rasa"),
                    "run",
                    "--enable-api",
                    "--auth-token=${RASA_TOKEN}",
                    "-i",
                    local,
                    "-p",
                    str(port),
                    "--model",
                    str(MODEL),
                    "--endpoints",
                    str(endpoints),
                    "--credentials",
                    str(ROOT / "credentials.yml"),
                ],
                ready_url=f"http://{local}:{port}/status?token=${{RASA_TOKEN}}",
            )
        )
    for index, port in enumerate(_ports(settings, "HUB_REPLICA_PORTS"), start=1):
        specs.append(
            ProcessSpec(
                f"hub_{index}",
                [str(BIN / "python"), "-m", "services.hub"],
                # Each replica on its own port, on localhost: only nginx faces visitors.
                {"HUB_HOST": local, "HUB_PORT": str(port)},
                f"http://{local}:{port}/health",
            )
        )
    specs.append(
        ProcessSpec(
            "nginx",
            [
                NGINX,
                "-p",
                str(workdir),
                "-c",
                str(workdir / "nginx.conf"),
                "-e",
                str(workdir / "nginx-error.log"),
                "-g",
                "daemon off;",
            ],
            ready_url=f"http://{local}:{settings.get('HUB_PORT')}/health",
        )
    )
    return specs


def nginx_conf(settings: dict[str, str], workdir: Path) -> str:
    """The load balancer: visitors to the hubs (WebSockets included), the hubs to Rasa."""
    hubs = "\n".join(
        # max_fails=0: never set a hub aside; one that is restarting refuses at once and nginx
        # goes on to the next, and it gets traffic again the moment it is back.
        f"        server 127.0.0.1:{port} max_fails=0;"
        for port in _ports(settings, "HUB_REPLICA_PORTS")
    )
    rasas = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=3s;"
        for port in _ports(settings, "RASA_REPLICA_PORTS")
    )
    host = settings.get("HUB_HOST") or "127.0.0.1"
    temp = workdir / "tmp"
    return f"""# Written by scripts/production.py from settings.env + production.env; do not edit.
worker_processes auto;
pid {workdir}/nginx.pid;
events {{ worker_connections 4096; }}

http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    # The hub answers every visitor message itself; nginx only needs room for a message frame.
    client_max_body_size 64k;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}

    upstream hubs {{
        least_conn;
{hubs}
        keepalive 64;
    }}

    upstream rasa {{
        least_conn;
{rasas}
        keepalive 64;
    }}

    # Visitors and agents: any hub will do, they share traffic through Redis.
    server {{
        listen {host}:{settings.get("HUB_PORT")};
        location / {{
            proxy_pass http://hubs;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            # A hub that is restarting: the next one takes the request or the WebSocket.
            proxy_next_upstream error timeout http_502 http_503;
        }}
        # The action server's handoff requests come from this machine only.
        location /internal/ {{
            allow 127.0.0.1;
            deny all;
            proxy_pass http://hubs;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}

    # The hubs' (and the handoff's) way to Rasa, on localhost only. A replica that dies is
    # skipped, and a message it had not answered is sent to the other one; the REST channel
    # (addons/channels.py) answers a repeated message id from the tracker instead of twice.
    server {{
        listen 127.0.0.1:{settings.get("RASA_PORT")};
        location / {{
            proxy_pass http://rasa;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 60s;
            proxy_next_upstream error timeout http_502 non_idempotent;
            proxy_next_upstream_tries 3;
        }}
    }}
}}
"""


def ensure_databases(settings: dict[str, str]) -> list[str]:
    """Create the PostgreSQL databases the settings name when they are missing (local setup)."""
    import psycopg2
    from psycopg2 import sql

    created = []
    for name in ("TRACKER_STORE_URL", "HUB_DB_URL", "CASE_STATUS_DB_URL"):
        url = settings.get(name, "")
        if not url.startswith("postgresql"):
            continue
        parsed = urlparse(url)
        database = parsed.path.lstrip("/")
        admin = parsed._replace(path="/postgres").geturl()
        connection = psycopg2.connect(admin)
        # CREATE DATABASE cannot run in a transaction: autocommit, and no `with connection`.
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
                if cursor.fetchone() is None:
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                    created.append(database)
        finally:
            connection.close()
    return created


def prepare(settings: dict[str, str], workdir: Path) -> list[ProcessSpec]:
    """Write nginx.conf and endpoints.yml into `workdir`; return the plan."""
    if not Path(NGINX).exists():
        raise FileNotFoundError(f"{NGINX} is missing: run scripts/ensure-nginx.sh")
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    (workdir / "nginx.conf").write_text(nginx_conf(settings, workdir), encoding="utf-8")
    ensure_databases(settings)
    return plan(settings, workdir)


def isolated_settings(
    redis: StoreServer, postgres: StoreServer, rasa_replicas: int = 2, hub_replicas: int = 2
) -> dict[str, str]:
    """Overrides for a second production plan beside anything running: free ports, fresh
    secrets, and the stores of `redis` (`url(db)`) and `postgres` (`url(database)`). The fault
    tests and the bench use it."""
    hub_port, case_port, rasa_port, action_port, *replicas = free_ports(
        4 + rasa_replicas + hub_replicas
    )
    return {
        "RASA_PORT": str(rasa_port),
        "HUB_PORT": str(hub_port),
        "ACTION_SERVER_PORT": str(action_port),
        "CASE_STATUS_PORT": str(case_port),
        "RASA_REPLICA_PORTS": ",".join(map(str, replicas[:rasa_replicas])),
        "HUB_REPLICA_PORTS": ",".join(map(str, replicas[rasa_replicas:])),
        "CASE_STATUS_URL": f"http://127.0.0.1:{case_port}",
        "HUB_INTERNAL_URL": f"http://127.0.0.1:{hub_port}",
        "HUB_ALLOWED_ORIGINS": f"http://127.0.0.1:{hub_port}",
        "TRACKER_STORE_URL": postgres.url("tracker"),
        "HUB_DB_URL": postgres.url("hub"),
        "CASE_STATUS_DB_URL": postgres.url("case_status"),
        "LOCK_STORE_URL": redis.url(0),
        "HUB_BUS_URL": redis.url(1),
        "CASE_STATUS_LIMITS_URL": redis.url(2),
        "RASA_TOKEN": secrets.token_urlsafe(24),
        "HUB_SECRET": secrets.token_urlsafe(32),
        "HUB_INTERNAL_TOKEN": secrets.token_urlsafe(24),
        "CASE_STATUS_CLIENT_ID": f"prod-{secrets.token_hex(4)}",
        "CASE_STATUS_CLIENT_SECRET": secrets.token_urlsafe(24),
        # Live chat open at any hour, so the handoff can be tested whenever the suite runs.
        "HANDOFF_HOURS": "Mon-Sun 00:00-24:00",
        "HANDOFF_FEDERAL_HOLIDAYS": "false",
        "HUB_MESSAGES_PER_MINUTE": "120",
    }


# --- started process by process (fault tests, bench)
@dataclass
class Production:
    """A running production plan: processes by name, and where visitors reach it."""

    settings: dict[str, str]
    workdir: Path
    specs: dict[str, ProcessSpec]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def port(self) -> int:
        """Where nginx listens for visitors and agents."""
        return int(self.settings["HUB_PORT"])

    @property
    def env(self) -> dict[str, str]:
        """The settings every process gets (what the account command needs, too)."""
        return self.settings

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings['HUB_PORT']}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.settings['HUB_PORT']}/ws"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.settings['RASA_PORT']}"

    def start(self, *names: str) -> None:
        """Start these processes side by side, then wait until each is ready."""
        for name in names:
            spec = self.specs[name]
            env = {**self.settings, **spec.env}
            log = self.workdir / f"{name}.log"
            self.processes[name] = spawn(spec.resolved(self.settings), env, log)
        for name in names:
            ready = _expand(self.specs[name].ready_url, self.settings)
            wait_for(
                ready, timeout=300 if name.startswith("rasa") else 90, process=self.processes[name]
            )

    def stop(self, name: str) -> None:
        if name in self.processes:
            stop(self.processes.pop(name))

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash: no clean shutdown."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
        process.wait()

    def close(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop(name)

    def pids(self) -> list[int]:
        return [process.pid for process in self.processes.values()]


def _expand(text: str, settings: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: settings.get(m.group(1), ""), text)


@contextlib.contextmanager
def running_production(overrides: dict[str, str]) -> Iterator[Production]:
    """Start the whole plan (settings from production_settings(overrides)); stop it after."""
    if not MODEL.exists():
        raise FileNotFoundError(f"{MODEL} is missing: run `make train` first")
    settings = production_settings(overrides)
    workdir = Path(tempfile.mkdtemp(prefix="assistant-prod-"))
    specs = prepare(settings, workdir)
    production = Production(settings, workdir, {spec.name: spec for spec in specs})
    try:
        # Backends first, then what calls them; each group's processes start side by side.
        for prefix in ("actions", "case_status", "rasa_", "hub_", "nginx"):
            production.start(*(spec.name for spec in specs if spec.name.startswith(prefix)))
        yield production
    finally:
        production.close()
        shutil.rmtree(workdir / "tmp", ignore_errors=True)


# --- `make prod`
def main() -> int:
    from scripts.secrets_env import ensure_secrets

    ensure_secrets()
    settings = production_settings()
    if not MODEL.exists():
        print(f"error: no trained model at {MODEL}: run `make train`", file=sys.stderr)
        return 1
    PROD_DIR.mkdir(parents=True, exist_ok=True)
    try:
        specs = prepare(settings, PROD_DIR)
    except Exception as error:  # a clear line, not a traceback, for a missing server or binary
        print(f"error: {error}", file=sys.stderr)
        return 1
    procfile = PROD_DIR / "Procfile"
    procfile.write_text("\n".join(spec.procfile_line() for spec in specs) + "\n", encoding="utf-8")
    print(
        f"\n  Production mode: {len(_ports(settings, 'RASA_REPLICA_PORTS'))} Rasa and "
        f"{len(_ports(settings, 'HUB_REPLICA_PORTS'))} hub replicas behind nginx\n"
        f"  Demo page with the chat widget: http://127.0.0.1:{settings['HUB_PORT']}/\n"
        f"  Agent console: http://127.0.0.1:{settings['HUB_PORT']}/console/\n",
        flush=True,
    )
    # honcho lets its env files win over the environment; hand it the settings already merged
    # (the environment wins there), in a file only the owner reads since it holds the secrets.
    env_file = PROD_DIR / "settings.env"
    env_file.touch(mode=0o600)
    env_file.chmod(0o600)
    env_file.write_text(
        "".join(
            f"{name}={shlex.quote(settings[name])}\n" for name in sorted(product_setting_names())
        ),
        encoding="utf-8",
    )
    os.execv(
        str(BIN / "honcho"),
        [str(BIN / "honcho"), "-f", str(procfile), "-d", str(ROOT), "-e", str(env_file), "start"],
    )


def product_setting_names() -> set[str]:
    """Every setting the product's files name (not the whole environment)."""
    names = set(read_env(ROOT / "settings.env")) | set(read_env(ROOT / "production.env"))
    secrets_file = ROOT / "var" / "secrets.env"
    return names | (set(read_env(secrets_file)) if secrets_file.exists() else set())


if __name__ == "__main__":
    sys.exit(main())
