"""What `make run` says when something stops it: one line that names the fix."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from scripts.stack import ROOT


def test_bootstrap_without_python_310_names_what_to_install(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "bootstrap.sh", tmp_path / "scripts" / "bootstrap.sh")
    empty_pyenv = tmp_path / "pyenv"
    empty_pyenv.mkdir()
    result = subprocess.run(
        ["bash", str(tmp_path / "scripts" / "bootstrap.sh")],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYENV_ROOT": str(empty_pyenv)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "Python 3.10 is required" in lines[0]
    assert "pyenv install 3.10" in lines[0]
    assert not (tmp_path / ".venv").exists()


def _preflight(**overrides: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **overrides}
    return subprocess.run(
        [sys.executable, "-m", "scripts.preflight"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_port_in_use_is_named_with_the_way_out() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = _preflight(RASA_PORT=port)
    assert result.returncode == 1
    [line] = [line for line in result.stderr.splitlines() if port in line]
    assert "RASA_PORT" in line
    assert "free port" in line


def test_a_missing_model_says_to_train(tmp_path: Path) -> None:
    result = _preflight(ASSISTANT_MODEL=str(tmp_path / "missing.tar.gz"))
    assert result.returncode == 1
    assert "make train" in result.stderr


# A random token starts with "-" once in 64 draws; as a separate argument argparse took it for an
# option and `rasa run` exited with code 2 (a flaky CI run and, on some machines, `make run`).
DASH_TOKEN = "-Xy_9-token"


def test_a_token_starting_with_a_dash_reaches_rasa_from_the_test_stack() -> None:
    from rasa.__main__ import create_argument_parser

    from scripts.stack import rasa_command

    command = rasa_command(5005, ROOT / "endpoints.yml", DASH_TOKEN)
    arguments = create_argument_parser().parse_args(command[1:])
    assert arguments.auth_token == DASH_TOKEN


def test_a_token_starting_with_a_dash_reaches_rasa_from_the_procfile() -> None:
    import shlex

    from rasa.__main__ import create_argument_parser

    line = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("rasa:")
    )
    settings = {"RASA_TOKEN": DASH_TOKEN, "RASA_HOST": "127.0.0.1", "RASA_PORT": "5005"}
    for name, value in settings.items():
        line = line.replace("${" + name + "}", value)
    arguments = create_argument_parser().parse_args(shlex.split(line.split(":", 1)[1])[1:])
    assert arguments.auth_token == DASH_TOKEN
