"""The deployment files as data, for the manifest and readiness tests."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
SECRET_TEMPLATE = KUBERNETES / "secret.example.yaml"
LINT_BIN = ROOT / ".venv-lint" / "bin"  # scripts/ensure-test-tools.sh installs it (make test)


def lint_tool(name: str) -> str:
    """The path of a linter from .venv-lint (deploy/lint-requirements.lock), else from PATH."""
    local = LINT_BIN / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is missing: run `make test-setup` (.venv-lint)")
    return found


def resource_files() -> list[Path]:
    """What `kubectl apply -k deploy/kubernetes/` applies, plus the Secret template."""
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    return [KUBERNETES / name for name in kustomization["resources"]] + [SECRET_TEMPLATE]


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def resources(kind: str | None = None) -> list[dict[str, Any]]:
    found = [doc for path in resource_files() for doc in documents(path)]
    return [doc for doc in found if kind is None or doc["kind"] == kind]


def named(kind: str, name: str) -> dict[str, Any]:
    matches = [doc for doc in resources(kind) if doc["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


@dataclass(frozen=True)
class Container:
    deployment: str
    spec: dict[str, Any]
    pod: dict[str, Any]

    @property
    def name(self) -> str:
        return self.spec["name"]


def containers() -> list[Container]:
    return [
        Container(deployment["metadata"]["name"], container, deployment["spec"]["template"]["spec"])
        for deployment in resources("Deployment")
        for container in deployment["spec"]["template"]["spec"]["containers"]
    ]


def container(name: str) -> Container:
    (found,) = [item for item in containers() if item.name == name]
    return found
