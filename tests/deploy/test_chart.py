"""The Helm chart as a cluster would receive it: rendered by the real helm with a customer's values.

helm comes from ./scripts/ensure-helm.sh (make test runs it first). The customer runs on its own
apex with two custom domains, an existing Secret, an autoscaled web and PgBouncer.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "strata"
RELEASE = "acme"
FULLNAME = "acme-strata"
APEX = "apps.customer.test"
CUSTOM_DOMAINS = ["projects.acme-corp.test", "work.globex.test"]
SECRET_DIR = "/run/secrets/strata"
APP_SECRETS = {
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "EMAIL_HOST_PASSWORD",
    "SENTRY_DSN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
}
DECLARED_KEYS = ["DJANGO_SECRET_KEY", "DATABASE_URL", "MIGRATIONS_DATABASE_URL", "REDIS_URL"]
CUSTOMER_VALUES: dict[str, Any] = {
    "baseDomain": APEX,
    "secrets": {"existingSecret": "customer-secrets", "existingSecretKeys": DECLARED_KEYS},
    "web": {"autoscaling": {"enabled": True, "minReplicas": 3, "maxReplicas": 9}},
    "ingress": {
        "className": "nginx",
        "customDomains": [
            {"host": CUSTOM_DOMAINS[0]},
            {"host": CUSTOM_DOMAINS[1], "tlsSecretName": "globex-work-tls"},
        ],
        "certManager": {"clusterIssuer": "letsencrypt-dns01"},
    },
    "pgbouncer": {"enabled": True, "upstream": {"host": "db.customer.test", "dbname": "strata"}},
}

Manifest = dict[str, Any]
Render = Callable[[dict[str, Any]], subprocess.CompletedProcess[str]]


def _helm() -> str:
    local = REPO / ".tools" / "bin" / "helm"
    found = str(local) if local.is_file() else shutil.which("helm")
    if found is None:
        pytest.fail("helm is missing: run ./scripts/ensure-helm.sh (make test does)")
    return found


@pytest.fixture(scope="module")
def render(tmp_path_factory: pytest.TempPathFactory) -> Render:
    """render(values): `helm template` of the chart with those values (stdout, stderr, status)."""
    helm = _helm()
    directory = tmp_path_factory.mktemp("values")

    def run(values: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        path = directory / f"values-{len(list(directory.iterdir()))}.yaml"
        path.write_text(yaml.safe_dump(values))
        return subprocess.run(
            [helm, "template", RELEASE, str(CHART), "--namespace", "customer", "-f", str(path)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    return run


def _manifests(render: Render, values: dict[str, Any]) -> list[Manifest]:
    result = render(values)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def customer(render: Render) -> list[Manifest]:
    return _manifests(render, CUSTOMER_VALUES)


def _find(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    found = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered"
    return found[0]


def _workloads(manifests: list[Manifest]) -> Iterator[Manifest]:
    return (m for m in manifests if m["kind"] in {"Deployment", "Job"})


def _pod(workload: Manifest) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def _container(workload: Manifest, name: str) -> dict[str, Any]:
    (container,) = [c for c in _pod(workload)["containers"] if c["name"] == name]
    found: dict[str, Any] = container
    return found


def _hook_weight(manifest: Manifest) -> int:
    return int(manifest["metadata"]["annotations"]["helm.sh/hook-weight"])


# --- The migration Job ------------------------------------------------------------------------


def test_the_migration_job_runs_migrate_fleet_before_install_and_upgrade(
    customer: list[Manifest],
) -> None:
    job = _find(customer, "Job", f"{FULLNAME}-migrations")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    # A failed Job stays until the next upgrade, so its log can be read.
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"
    assert _pod(job)["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] <= 2
    assert job["spec"]["activeDeadlineSeconds"] > 0
    assert _container(job, "migrations")["args"][:3] == ["python", "manage.py", "migrate_fleet"]


def test_the_migration_job_reads_hook_copies_made_before_it(customer: list[Manifest]) -> None:
    job = _find(customer, "Job", f"{FULLNAME}-migrations")
    (source,) = _container(job, "migrations")["envFrom"]
    config = _find(customer, "ConfigMap", source["configMapRef"]["name"])
    annotations = config["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert _hook_weight(config) < _hook_weight(job)
    assert "hook-succeeded" in annotations["helm.sh/hook-delete-policy"]
    # The copy holds what the release's own ConfigMap holds.
    assert config["data"] == _find(customer, "ConfigMap", FULLNAME)["data"]
    assert config["data"]["STRATA_BASE_DOMAIN"] == APEX


def test_with_an_existing_secret_the_job_mounts_it_with_the_direct_database_url(
    customer: list[Manifest],
) -> None:
    job = _find(customer, "Job", f"{FULLNAME}-migrations")
    (volume,) = [v for v in _pod(job)["volumes"] if v["name"] == "secrets"]
    assert volume["secret"]["secretName"] == "customer-secrets"
    # DATABASE_URL goes through PgBouncer, which does not exist yet on a first install.
    items = {item["path"]: item["key"] for item in volume["secret"]["items"]}
    assert items["DATABASE_URL"] == "MIGRATIONS_DATABASE_URL"
    assert not [m for m in customer if m["kind"] == "Secret"]


def test_a_chart_managed_secret_reaches_the_job_through_a_hook_copy(render: Render) -> None:
    manifests = _manifests(
        render,
        {"secrets": {"values": {"DATABASE_URL": "postgres://s@db/s", "REDIS_URL": "redis://r"}}},
    )
    job = _find(manifests, "Job", f"{FULLNAME}-migrations")
    (volume,) = [v for v in _pod(job)["volumes"] if v["name"] == "secrets"]
    copy = _find(manifests, "Secret", volume["secret"]["secretName"])
    assert copy["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert _hook_weight(copy) < _hook_weight(job)
    # Same data as the release's Secret, the generated DJANGO_SECRET_KEY included.
    release_secret = _find(manifests, "Secret", FULLNAME)
    assert copy["metadata"]["name"] != FULLNAME
    assert copy["data"] == release_secret["data"]
    assert set(copy["data"]) == {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"}


# --- Web --------------------------------------------------------------------------------------


def test_web_is_ready_on_readyz_and_alive_on_healthz(customer: list[Manifest]) -> None:
    web = _container(_find(customer, "Deployment", f"{FULLNAME}-web"), "web")
    assert web["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}


def test_web_rolls_without_losing_capacity_and_drains_before_stopping(
    customer: list[Manifest],
) -> None:
    deployment = _find(customer, "Deployment", f"{FULLNAME}-web")
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pre_stop = _container(deployment, "web")["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    # Longer than the sleep plus gunicorn's 25 s graceful timeout.
    assert _pod(deployment)["terminationGracePeriodSeconds"] > int(pre_stop[1]) + 25


def test_an_autoscaled_web_leaves_the_replica_count_to_the_autoscaler(
    customer: list[Manifest], render: Render
) -> None:
    deployment = _find(customer, "Deployment", f"{FULLNAME}-web")
    assert "replicas" not in deployment["spec"]
    hpa = _find(customer, "HorizontalPodAutoscaler", f"{FULLNAME}-web")
    assert hpa["spec"]["scaleTargetRef"]["name"] == f"{FULLNAME}-web"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 9)
    fixed = _manifests(render, {"web": {"replicaCount": 4}})
    assert _find(fixed, "Deployment", f"{FULLNAME}-web")["spec"]["replicas"] == 4
    assert not [m for m in fixed if m["kind"] == "HorizontalPodAutoscaler"]


def test_a_configuration_change_rolls_the_pods(render: Render) -> None:
    def checksum(log_level: str) -> str:
        manifests = _manifests(render, {"config": {"logLevel": log_level}})
        deployment = _find(manifests, "Deployment", f"{FULLNAME}-worker")
        value: str = deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        return value

    assert checksum("INFO") == checksum("INFO")
    assert checksum("INFO") != checksum("WARNING")


# --- Beat -------------------------------------------------------------------------------------


def test_beat_is_one_replica_replaced_never_overlapped(customer: list[Manifest]) -> None:
    beat = _find(customer, "Deployment", f"{FULLNAME}-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert _container(beat, "beat")["args"][:4] == ["celery", "-A", "config", "beat"]
    # Its schedule file goes to the one writable directory, the pod's own /tmp.
    config = _find(customer, "ConfigMap", FULLNAME)["data"]
    assert config["CELERY_BEAT_SCHEDULE_FILENAME"] == "/tmp/celerybeat-schedule"  # noqa: S108


# --- Every workload ---------------------------------------------------------------------------


def test_every_container_runs_unprivileged_on_a_read_only_root(customer: list[Manifest]) -> None:
    seen = set()
    for workload in _workloads(customer):
        pod = _pod(workload)
        for container in pod["containers"] + pod.get("initContainers", []):
            seen.add(container["name"])
            context = container["securityContext"]
            run_as_non_root = context.get("runAsNonRoot", pod["securityContext"]["runAsNonRoot"])
            assert run_as_non_root is True, container["name"]
            assert context["readOnlyRootFilesystem"] is True, container["name"]
            assert context["allowPrivilegeEscalation"] is False, container["name"]
            assert context["capabilities"]["drop"] == ["ALL"], container["name"]
            assert pod["securityContext"]["runAsUser"] != 0, container["name"]
            resources = container["resources"]
            assert resources["requests"]["memory"], container["name"]
            assert resources["limits"]["memory"], container["name"]
    assert seen == {"web", "worker", "beat", "migrations", "pgbouncer"}


def test_no_pod_mounts_a_service_account_token(customer: list[Manifest]) -> None:
    for workload in _workloads(customer):
        assert _pod(workload)["automountServiceAccountToken"] is False


# --- Secrets ----------------------------------------------------------------------------------


def test_secrets_reach_the_application_as_files_only(customer: list[Manifest]) -> None:
    expected = {f"{key}_FILE": f"{SECRET_DIR}/{key}" for key in DECLARED_KEYS if key in APP_SECRETS}
    for workload in _workloads(customer):
        if workload["metadata"]["name"] == f"{FULLNAME}-pgbouncer":
            continue
        (container,) = _pod(workload)["containers"]
        env = container["env"]
        assert {e["name"]: e["value"] for e in env} == expected, container["name"]
        assert not [e for e in env if e["name"] in APP_SECRETS or "valueFrom" in e]
        mounts = {m["name"]: m for m in container["volumeMounts"]}
        assert mounts["secrets"]["mountPath"] == SECRET_DIR
        assert mounts["secrets"]["readOnly"] is True
        (volume,) = [v for v in _pod(workload)["volumes"] if v["name"] == "secrets"]
        # Only the keys the application reads: PgBouncer's userlist stays out.
        assert sorted(item["path"] for item in volume["secret"]["items"]) == sorted(
            key for key in DECLARED_KEYS if key in APP_SECRETS
        )
    config = _find(customer, "ConfigMap", FULLNAME)["data"]
    assert not APP_SECRETS & set(config)


def test_only_secrets_that_were_given_are_named(render: Render) -> None:
    manifests = _manifests(render, {"secrets": {"values": {"DATABASE_URL": "postgres://s@db/s"}}})
    worker = _container(_find(manifests, "Deployment", f"{FULLNAME}-worker"), "worker")
    # A _FILE naming a missing file is an error in the application; the key is generated.
    assert [e["name"] for e in worker["env"]] == ["DJANGO_SECRET_KEY_FILE", "DATABASE_URL_FILE"]


# --- Ingress ----------------------------------------------------------------------------------


def test_the_ingress_serves_the_apex_its_subdomains_and_the_custom_domains(
    customer: list[Manifest],
) -> None:
    ingress = _find(customer, "Ingress", FULLNAME)
    spec = ingress["spec"]
    assert spec["ingressClassName"] == "nginx"
    hosts = [rule["host"] for rule in spec["rules"]]
    assert hosts == [APEX, f"*.{APEX}", *CUSTOM_DOMAINS]
    for rule in spec["rules"]:
        (path,) = rule["http"]["paths"]
        assert path["backend"]["service"] == {"name": FULLNAME, "port": {"name": "http"}}
    tls = {tuple(entry["hosts"]): entry["secretName"] for entry in spec["tls"]}
    assert tls == {
        (APEX, f"*.{APEX}"): f"{FULLNAME}-wildcard-tls",
        (CUSTOM_DOMAINS[0],): f"{FULLNAME}-projects-acme-corp-test-tls",
        (CUSTOM_DOMAINS[1],): "globex-work-tls",
    }
    annotations = ingress["metadata"]["annotations"]
    assert annotations["cert-manager.io/cluster-issuer"] == "letsencrypt-dns01"


# --- PgBouncer --------------------------------------------------------------------------------


def test_pgbouncer_pools_sessions_never_transactions(customer: list[Manifest]) -> None:
    ini = _find(customer, "ConfigMap", f"{FULLNAME}-pgbouncer")["data"]["pgbouncer.ini"]
    lines = ini.splitlines()
    assert "pool_mode = session" in lines
    assert "server_reset_query = DISCARD ALL" in lines
    assert "listen_port = 6432" in lines
    assert "strata = host=db.customer.test port=5432 dbname=strata" in lines
    service = _find(customer, "Service", f"{FULLNAME}-pgbouncer")
    assert [p["port"] for p in service["spec"]["ports"]] == [6432]
    pgbouncer = _find(customer, "Deployment", f"{FULLNAME}-pgbouncer")
    (projected,) = [v["projected"] for v in _pod(pgbouncer)["volumes"] if v["name"] == "config"]
    userlist = projected["sources"][1]["secret"]
    assert userlist["name"] == "customer-secrets"
    assert userlist["items"] == [{"key": "PGBOUNCER_USERLIST", "path": "userlist.txt"}]


def test_pgbouncer_without_a_direct_url_for_migrations_is_refused(render: Render) -> None:
    values = {**CUSTOMER_VALUES, "secrets": {"existingSecret": "customer-secrets"}}
    result = render(values)
    assert result.returncode != 0
    assert "MIGRATIONS_DATABASE_URL" in result.stderr


# --- The schema -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"basedomain": APEX}, "additional properties 'basedomain' not allowed"),
        ({"web": {"replicas": 3}}, "additional properties 'replicas' not allowed"),
        ({"pgbouncer": {"poolMode": "transaction"}}, "/pgbouncer/poolMode"),
        ({"secrets": {"existingSecretKeys": ["DATABASE_URI"]}}, "/secrets/existingSecretKeys/0"),
    ],
)
def test_the_schema_refuses_values_that_would_be_ignored_or_unsafe(
    render: Render, values: dict[str, Any], complaint: str
) -> None:
    result = render(values)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr
    assert complaint in result.stderr


def test_lint_refuses_transaction_pooling(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"pgbouncer": {"poolMode": "transaction"}}))
    lint = [_helm(), "lint", "--strict", str(CHART), "-f", str(values)]
    result = subprocess.run(lint, capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode != 0
    assert "value must be 'session'" in result.stdout + result.stderr


def test_the_default_values_render(render: Render) -> None:
    manifests = _manifests(render, {})
    kinds = sorted({m["kind"] for m in manifests})
    assert kinds == [
        "ConfigMap",
        "Deployment",
        "Ingress",
        "Job",
        "PodDisruptionBudget",
        "Secret",
        "Service",
        "ServiceAccount",
    ]
