"""The Kubernetes manifests and the image, checked offline: schemas (kubernetes-validate with
its bundled schemas), probes that hit real routes, one way in, settings the code reads, no
secrets in git. docs/deploy.md says what they deploy."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from sanic import Sanic

from scripts.preflight import read_env
from scripts.secrets_env import REQUIRED
from tests.deploy.support import (
    KUBERNETES,
    ROOT,
    SECRET_TEMPLATE,
    Container,
    container,
    containers,
    documents,
    lint_tool,
    named,
    resource_files,
    resources,
)

PLACEHOLDER = "CHANGE-ME"
# Where the processes' own code reads its settings.
CODE_DIRS = ("actions", "addons", "services", "privacy", "deploy")


# --- the linters
def test_every_manifest_passes_the_offline_schema_validator() -> None:
    files = [str(path) for path in resource_files()]
    result = subprocess.run(
        [lint_tool("kubernetes-validate"), "--strict", "--quiet", *files],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_rejects_a_misspelt_field(tmp_path: Path) -> None:
    """The check above means something: a typo in a probe fails it."""
    broken = (KUBERNETES / "hub.yaml").read_text().replace("periodSeconds:", "periodSecond:", 1)
    (tmp_path / "hub.yaml").write_text(broken)
    result = subprocess.run(
        [lint_tool("kubernetes-validate"), "--strict", "--quiet", str(tmp_path / "hub.yaml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "periodSecond" in result.stdout + result.stderr


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [lint_tool("hadolint"), str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- probes
def _app_paths(app: Sanic) -> set[str]:
    return {"/" + route.path.strip("/") for route in app.router.routes}


def served_paths(item: Container) -> set[str]:
    """The HTTP routes of the process the container's command starts, from its own code."""
    command = item.spec["command"]
    name = f"probe_{uuid.uuid4().hex[:8]}"
    if command[:3] == ["python", "-m", "services.hub"]:
        from services.hub.app import create_app
        from services.hub.settings import HubSettings

        settings = HubSettings.from_env({"HUB_SECRET": "x" * 32, "RASA_TOKEN": "t"})
        return _app_paths(create_app(settings, name=name))
    if command[:3] == ["python", "-m", "services.case_status"]:
        from services.case_status.app import create_app as case_status_app
        from services.case_status.settings import ServiceSettings

        env = {"CASE_STATUS_CLIENT_ID": "id", "CASE_STATUS_CLIENT_SECRET": "secret"}
        return _app_paths(case_status_app(ServiceSettings.from_env(env), name=name))
    if command[:3] == ["rasa", "run", "actions"]:
        from rasa_sdk.endpoint import create_app as action_server_app

        return _app_paths(action_server_app("actions"))
    if command[:2] == ["rasa", "run"]:
        # Importing rasa.server takes TensorFlow with it: read its route table as text.
        package = importlib.util.find_spec("rasa").submodule_search_locations[0]
        source = (Path(package) / "server.py").read_text(encoding="utf-8")
        paths = set(re.findall(r'@app\.(?:get|route)\("([^"]*)"', source))
        assert {"/", "/status", "/version"} <= paths  # the pattern still finds them
        return paths
    raise AssertionError(f"{item.name}: unknown command {command}")


PROBES = ("startupProbe", "livenessProbe", "readinessProbe")


@pytest.mark.parametrize("item", containers(), ids=lambda item: item.name)
def test_every_container_has_liveness_and_readiness_probes_on_real_routes(item: Container) -> None:
    assert "livenessProbe" in item.spec and "readinessProbe" in item.spec
    port_names = {port["name"] for port in item.spec["ports"]}
    paths = served_paths(item)
    for kind in PROBES:
        probe = item.spec.get(kind)
        if probe is None:
            continue
        if "httpGet" in probe:
            assert probe["httpGet"]["path"] in paths, f"{item.name} {kind}: no such route"
            assert probe["httpGet"]["port"] in port_names
        else:
            command = probe["exec"]["command"]
            assert command[0] == "python" and (ROOT / command[1]).is_file(), command


def test_liveness_never_depends_on_a_database() -> None:
    """A database outage must not restart every process: liveness probes check the process."""
    for item in containers():
        path = item.spec["livenessProbe"]["httpGet"]["path"]
        assert path in {"/", "/health", "/live"}
    assert container("hub").spec["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container("case-status").spec["readinessProbe"]["httpGet"]["path"] == "/ready"


def test_rasa_is_ready_only_with_a_model_and_without_a_token_in_the_manifest() -> None:
    rasa = container("rasa").spec
    assert rasa["readinessProbe"]["exec"]["command"] == ["python", "deploy/rasa_probe.py"]
    assert "token" not in yaml.safe_dump(rasa["readinessProbe"]).lower()
    assert "--auth-token=$(RASA_TOKEN)" in rasa["command"]


# --- one way in
def test_only_the_hub_is_exposed() -> None:
    for service in resources("Service"):
        assert service["spec"]["type"] == "ClusterIP", service["metadata"]["name"]
    (ingress,) = resources("Ingress")
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"hub"}
    for item in containers():
        assert not item.pod.get("hostNetwork")
        assert all("hostPort" not in port for port in item.spec["ports"])


# Who calls whom (docs/architecture.md): the callers each process must admit, and no others.
CALLERS = {
    "hub": {"namespace ingress-nginx", "actions"},
    "rasa": {"hub"},
    "actions": {"rasa"},
    "case-status": {"actions"},
}


def test_network_policies_admit_only_each_process_callers() -> None:
    admitted: dict[str, set[str]] = {}
    for policy in resources("NetworkPolicy"):
        target = policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        assert policy["spec"]["policyTypes"] == ["Ingress"]  # egress to the stores stays open
        for rule in policy["spec"]["ingress"]:
            assert [port["port"] for port in rule["ports"]] == ["http"]
            for peer in rule["from"]:
                if "namespaceSelector" in peer:
                    labels = peer["namespaceSelector"]["matchLabels"]
                    caller = f"namespace {labels['kubernetes.io/metadata.name']}"
                else:
                    caller = peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                admitted.setdefault(target, set()).add(caller)
    assert admitted == CALLERS
    assert set(CALLERS) == {item["metadata"]["name"] for item in resources("Deployment")}


def test_the_ingress_keeps_websockets_open() -> None:
    """ingress-nginx closes a proxied connection idle for 60 s by default; chats idle longer."""
    ingress = named("Ingress", "hub")
    annotations = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    for name in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(annotations[f"nginx.ingress.kubernetes.io/{name}"]) >= 3600


# --- one image, the same processes and settings as on one machine
def test_every_process_of_the_procfile_has_a_deployment() -> None:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    processes = {line.split(":")[0] for line in lines if line.strip()}
    deployments = {item["metadata"]["name"] for item in resources("Deployment")}
    assert {name.replace("_", "-") for name in processes} == deployments
    assert named("Deployment", "rasa")["spec"]["replicas"] == 2
    assert named("Deployment", "hub")["spec"]["replicas"] == 2


def _code_text() -> str:
    files = [path for folder in CODE_DIRS for path in (ROOT / folder).rglob("*.py")]
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


def _command_names() -> set[str]:
    """Settings a container's command uses, as Kubernetes' $(NAME)."""
    return {
        name
        for item in containers()
        for name in re.findall(r"\$\((\w+)\)", " ".join(item.spec["command"]))
    }


def test_every_setting_the_manifests_give_is_one_the_code_reads() -> None:
    code = _code_text()
    given = set(named("ConfigMap", "assistant-settings")["data"])
    given |= set(named("Secret", "assistant-secrets")["stringData"])
    given |= {env["name"] for item in containers() for env in item.spec.get("env", [])}
    unread = sorted(name for name in given if f'"{name}"' not in code and f"'{name}'" not in code)
    assert set(unread) <= _command_names(), f"no code reads {unread}"
    assert _command_names() <= given


def test_the_settings_have_the_names_of_settings_env() -> None:
    single_machine = read_env(ROOT / "settings.env")
    settings = named("ConfigMap", "assistant-settings")["data"]
    assert set(settings) <= set(single_machine)
    assert all(isinstance(value, str) for value in settings.values())


def test_the_ports_and_hosts_of_the_settings_are_the_services() -> None:
    settings = named("ConfigMap", "assistant-settings")["data"]
    service_ports = {
        item["metadata"]["name"]: item["spec"]["ports"][0]["port"] for item in resources("Service")
    }
    container_ports = {item.name: item.spec["ports"][0]["containerPort"] for item in containers()}
    assert service_ports["rasa"] == container_ports["rasa"] == int(settings["RASA_PORT"])
    assert settings["RASA_HOST"] == "rasa"
    assert service_ports["actions"] == container_ports["actions"]
    assert container_ports["actions"] == int(settings["ACTION_SERVER_PORT"])
    assert service_ports["hub"] == container_ports["hub"] == int(settings["HUB_PORT"])
    port = int(settings["CASE_STATUS_PORT"])
    assert service_ports["case-status"] == container_ports["case-status"] == port
    for key, service in (("CASE_STATUS_URL", "case-status"), ("HUB_INTERNAL_URL", "hub")):
        url = urlparse(settings[key])
        assert (url.hostname, url.port) == (service, service_ports[service])
    assert settings["HUB_HOST"] == settings["CASE_STATUS_HOST"] == "0.0.0.0"


def test_rasa_gets_the_endpoints_of_the_project_with_the_action_servers_service() -> None:
    mounted = yaml.safe_load(named("ConfigMap", "rasa-endpoints")["data"]["endpoints.yml"])
    project = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    url = urlparse(mounted["action_endpoint"]["url"])
    port = named("Service", "actions")["spec"]["ports"][0]["port"]
    assert (url.hostname, url.port, url.path) == ("actions", port, "/webhook")
    project["action_endpoint"]["url"] = mounted["action_endpoint"]["url"]
    assert mounted == project
    rasa = container("rasa").spec
    mount = next(item for item in rasa["volumeMounts"] if item["name"] == "endpoints")
    assert rasa["command"][rasa["command"].index("--endpoints") + 1].startswith(mount["mountPath"])


def test_the_image_runs_as_the_user_the_manifests_ask_for() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.10-slim$", dockerfile, re.MULTILINE)
    assert "-r requirements.lock" in dockerfile
    user = int(re.search(r"^USER (\d+)$", dockerfile, re.MULTILINE).group(1))
    exposed = {int(port) for port in re.search(r"^EXPOSE (.+)$", dockerfile, re.M).group(1).split()}
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    image_names = {image["name"] for image in kustomization["images"]}
    for item in containers():
        assert item.spec["image"] in image_names
        assert item.spec["ports"][0]["containerPort"] in exposed
        assert item.pod["securityContext"]["runAsNonRoot"] is True
        assert item.pod["securityContext"]["runAsUser"] == user
        context = item.spec["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        for bound in ("requests", "limits"):
            assert set(item.spec["resources"][bound]) == {"cpu", "memory"}


# --- no secrets in git
def test_the_secret_is_a_template_with_every_required_secret() -> None:
    secret = documents(SECRET_TEMPLATE)[0]
    assert "data" not in secret
    assert set(REQUIRED) <= set(secret["stringData"])
    assert set(secret["stringData"].values()) == {PLACEHOLDER}
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    assert SECRET_TEMPLATE.name not in kustomization["resources"]
    assert [item for item in resources("Secret")] == [secret]
    settings = named("ConfigMap", "assistant-settings")["data"]
    assert not set(settings) & set(secret["stringData"])  # a secret never sits in the ConfigMap
    for item in containers():  # a secret never becomes a literal value in a manifest
        assert not {env["name"] for env in item.spec.get("env", [])} & set(secret["stringData"])


CREDENTIALS_IN_URL = re.compile(r"[a-z+]+://[^\s/:@]+:([^\s/@]+)@")


def test_no_secret_values_are_committed() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    secret_file = re.compile(r"(^|/)(secrets\.env|.*\.pem|.*\.key)$")
    assert not [name for name in tracked if secret_file.search(name)]
    deploy_files = [name for name in tracked if name.startswith("deploy/")]
    for name in [*deploy_files, "Dockerfile", "docs/deploy.md"]:
        if not (ROOT / name).is_file():
            continue
        text = (ROOT / name).read_text(encoding="utf-8")
        assert set(CREDENTIALS_IN_URL.findall(text)) <= {"PASSWORD"}, name
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {"**/secrets.env", "var", ".git"} <= set(ignored)
