"""deploy/kubernetes: every manifest valid against the Kubernetes schemas (kubernetes-validate, offline),
the kustomize base complete, the invariants that keep two writers apart and the pod locked down, and the
Deployment's own command line run for real against the emulator."""

from __future__ import annotations

import copy
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import SchemaNotFoundError, latest_version

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.daemon_http import parse_address
from kit.git import commit, init_repo
from kit.live import live_message
from kit.sync_dirs import SETTINGS, pattern_file, write_settings
from kit.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "kubernetes"
OVERLAY = ROOT / "examples" / "kubernetes-overlay"
SERVICEMONITOR = BASE / "components" / "servicemonitor"
# The oldest Kubernetes release the manifests promise to work on, and the newest the package knows.
VERSIONS = ["1.30.0", latest_version()]


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _manifests() -> dict[Path, dict[str, Any]]:
    """Every Kubernetes object under deploy/kubernetes (one per file), kustomization files aside."""
    found = {}
    for path in sorted(BASE.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        (document,) = _documents(path)
        found[path] = document
    return found


def _by_kind() -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in _manifests().values()}


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def test_every_manifest_is_found() -> None:
    # Guards the discovery: an empty or short set would make the schema checks vacuous.
    kinds = {"ConfigMap", "Deployment", "Secret", "Service", "ServiceAccount", "ServiceMonitor"}
    assert set(_by_kind()) == kinds


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", sorted(_manifests()), ids=lambda p: str(p.relative_to(BASE)))
def test_each_manifest_is_valid_against_the_kubernetes_schemas(path: Path, version: str) -> None:
    document = _manifests()[path]
    if document["kind"] == "ServiceMonitor":
        # A Prometheus Operator CRD: no schema of it ships with Kubernetes (checked by hand below).
        with pytest.raises(SchemaNotFoundError):
            kubernetes_validate.validate(document, version, strict=True)
        return
    kubernetes_validate.validate(document, version, strict=True)


def test_the_schema_check_rejects_a_broken_deployment() -> None:
    # The validator really reads the Deployment's schema: a wrong type and an unknown field both fail.
    deployment = copy.deepcopy(_by_kind()["Deployment"])
    deployment["spec"]["replicas"] = "one"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[0], strict=True)
    deployment = copy.deepcopy(_by_kind()["Deployment"])
    _container(deployment)["readOnlyRootFileSystem"] = True  # misspelt, and in the wrong place
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[0], strict=True)


def test_the_kustomize_base_lists_every_resource_but_the_secret_template() -> None:
    kustomization = _documents(BASE / "kustomization.yaml")[0]
    assert kustomization["kind"] == "Kustomization"
    listed = set(kustomization["resources"])
    on_disk = {path.name for path in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    # The template would overwrite real credentials with placeholders on every apply.
    assert listed == on_disk - {"secret.example.yaml"}
    component = _documents(SERVICEMONITOR / "kustomization.yaml")[0]
    assert component["kind"] == "Component"
    assert component["resources"] == ["servicemonitor.yaml"]


def _kustomize(directory: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with its built-in kustomize) is not on PATH")
    built = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=60, check=False
    )
    assert built.returncode == 0, built.stderr
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc]


def test_kustomize_builds_the_base_into_valid_objects() -> None:
    documents = _kustomize(BASE)
    kinds = sorted(doc["kind"] for doc in documents)
    assert kinds == ["ConfigMap", "Deployment", "Service", "ServiceAccount"]
    for document in documents:
        assert document["metadata"]["labels"]["app.kubernetes.io/part-of"] == "dragops-iac"
        kubernetes_validate.validate(document, VERSIONS[0], strict=True)


def test_the_example_overlay_sets_namespace_image_and_settings() -> None:
    documents = {doc["kind"]: doc for doc in _kustomize(OVERLAY)}
    assert set(documents) == {"ConfigMap", "Deployment", "Service", "ServiceAccount", "ServiceMonitor"}
    assert {doc["metadata"]["namespace"] for doc in documents.values()} == {"dragops-automations-prod"}
    assert _container(documents["Deployment"])["image"] == "registry.example.com/platform/dragops-sync:0.1.0"
    assert documents["ConfigMap"]["data"]["DRAGOPS_SYNC_OWNER"] == "acme/automations:prod"
    for kind, document in documents.items():
        if kind != "ServiceMonitor":
            kubernetes_validate.validate(document, VERSIONS[0], strict=True)


def test_one_writer_at_a_time_and_a_locked_down_pod() -> None:
    kinds = _by_kind()
    deployment = kinds["Deployment"]
    spec = deployment["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}  # never an old and a new pod at once
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["serviceAccountName"] == kinds["ServiceAccount"]["metadata"]["name"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False  # no DRAGOPS_SYNC_* variables made up by Kubernetes
    # The image's user (Dockerfile USER) is the uid the pod runs as.
    user = re.search(r"^USER (\d+):(\d+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert user is not None
    assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == (
        int(user[1]),
        int(user[2]),
    )
    container = _container(deployment)
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]

    # Everything the daemon writes is on an emptyDir: /tmp (git's askpass helper) and its clone.
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: volumes[mount["name"]] for mount in container["volumeMounts"]}
    assert all("emptyDir" in volume for volume in mounts.values())
    workdir = next(arg.split("=", 1)[1] for arg in container["args"] if arg.startswith("--workdir="))
    assert {"/tmp", workdir} <= set(mounts)


def test_the_probes_ask_healthz_on_the_status_port_the_daemon_listens_on() -> None:
    container = _container(_by_kind()["Deployment"])
    (port,) = container["ports"]
    status_addr = next(arg.split("=", 1)[1] for arg in container["args"] if arg.startswith("--status-addr="))
    assert parse_address(status_addr) == ("0.0.0.0", port["containerPort"])  # every interface
    for probe in ("startupProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port["name"]}


def test_the_service_and_the_servicemonitor_reach_the_pod() -> None:
    kinds = _by_kind()
    pod_labels = kinds["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert kinds["Deployment"]["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    service = kinds["Service"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    port_names = {port["name"] for port in _container(kinds["Deployment"])["ports"]}
    assert {port["targetPort"] for port in service["spec"]["ports"]} <= port_names
    monitor = kinds["ServiceMonitor"]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"


def test_settings_come_from_the_configmap_and_credentials_from_the_secret() -> None:
    kinds = _by_kind()
    container = _container(kinds["Deployment"])
    env = {item["name"]: item["valueFrom"]["configMapKeyRef"] for item in container["env"]}
    configmap = kinds["ConfigMap"]
    for name, ref in env.items():
        assert ref == {"name": configmap["metadata"]["name"], "key": name}
        assert name in configmap["data"]
    # Kubernetes expands $(VAR) in args only from variables it knows: each one used is defined above.
    used = {name for arg in container["args"] for name in re.findall(r"\$\((\w+)\)", arg)}
    assert used == set(env)
    secret = kinds["Secret"]
    assert container["envFrom"] == [{"secretRef": {"name": secret["metadata"]["name"]}}]
    assert set(secret["stringData"]) == {
        "DRAGOPS_URL",
        "DRAGOPS_TOKEN",
        "DRAGOPS_SYNC_GIT_TOKEN",
        "DRAGOPS_SYNC_WEBHOOK_SECRET",
    }
    # Placeholders only: nothing that could be a real credential is committed.
    for key, value in secret["stringData"].items():
        assert value == "replace-me" or value.endswith("example.com"), key
    assert not any(key.endswith(("TOKEN", "PASSWORD", "SECRET")) for key in configmap["data"])


def _expand(arg: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\((\w+)\)", lambda match: values[match[1]], arg)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def test_the_deployments_command_line_runs_the_daemon_against_a_repository(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    """The container's args, $(VAR)s expanded from the ConfigMap as the kubelet does (the repository a
    local one, the workdir and the port free ones): the daemon clones, reconciles, and /healthz is 200."""
    kinds = _by_kind()
    values = dict(kinds["ConfigMap"]["data"])
    repo = init_repo(tmp_path / "origin")
    write_settings(repo / values["DRAGOPS_SYNC_PATH"], SETTINGS)
    pattern_file(repo / values["DRAGOPS_SYNC_PATH"], "alpha", "Alpha")
    commit(repo, "the prod directory")
    values["DRAGOPS_SYNC_REPO"] = repo.as_uri()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = []
    for arg in _container(kinds["Deployment"])["args"]:
        if arg.startswith("--workdir="):
            args.append(f"--workdir={tmp_path / 'workdir'}")
        elif arg.startswith("--status-addr="):
            args.append(arg.replace(":9099", f":{port}"))
        else:
            args.append(_expand(arg, values))
    env = {**os.environ, **values, "DRAGOPS_URL": emu.url, "DRAGOPS_TOKEN": user.token}
    for name in ("DRAGOPS_EMAIL", "DRAGOPS_PASSWORD", "XDG_CACHE_HOME"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "dragops-sync"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        with Client(base_url=emu.url, token=user.token) as client:
            wait_for(
                lambda: (
                    live_message(client, "Alpha") == "got it"
                    and _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
                ),
                timeout=60,
                what="the daemon's first cycle",
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert (tmp_path / "workdir" / "checkout" / values["DRAGOPS_SYNC_PATH"]).is_dir()
