"""Tenant media on S3-compatible storage (AWS_STORAGE_BUCKET_NAME): the real django-storages and
boto3 talk HTTP to moto's S3 server on localhost, the network boundary (no S3 is reachable)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer
from pytest_django import Settings

from config.settings.base import media_storage
from shared_apps.accounts.models import User
from tenant_apps.projects.models import Task
from tenant_apps.projects.services import Actor, project_create, task_create
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.storage import storage_delete_prefix, tenant_media_prefix
from tests.conftest import ClientFactory
from tests.tenant_apps.projects.api_support import attachments_url, body, content

BUCKET = "strata-media"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The default storage as production configures it from these variables."""
    for name, value in {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "strata-test",
        "AWS_SECRET_ACCESS_KEY": "strata-test-secret",
        "AWS_S3_ADDRESSING_STYLE": "path",
    }.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="strata-test",
        aws_secret_access_key="strata-test-secret",
    )
    s3.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": media_storage()}
    yield s3
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def _keys(s3: Any) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def _task(tenant: Tenant, user: User) -> Task:
    with tenant_context(tenant):
        project = project_create(name="Website", key="WEB", actor=Actor(user=user))
        return task_create(tenant=tenant, project=project, title="Logo", actor=Actor(user=user))


def test_without_a_bucket_media_stays_on_the_file_system(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME", raising=False)

    assert media_storage() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_an_attachment_is_stored_privately_under_its_tenants_prefix_and_served_by_the_view(
    bucket: Any,
    client_on: ClientFactory,
    tenant: Tenant,
    other_tenant: Tenant,
    member: User,
    viewer: User,
    outsider: User,
) -> None:
    task = _task(tenant, member)
    data = b"%PDF-1.7 quarterly plan"

    uploaded = client_on(tenant, member).post(
        attachments_url(task.public_id),
        {"file": SimpleUploadedFile("plan.pdf", data, content_type="application/pdf")},
    )

    assert uploaded.status_code == 201, uploaded.content
    [key] = _keys(bucket)
    assert key.startswith(f"{tenant_media_prefix(tenant.schema_name)}attachments/")
    assert key.endswith("/plan.pdf")
    assert bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read() == data
    grants = bucket.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner alone
    assert "URI" not in grants[0]["Grantee"]  # no AllUsers / AuthenticatedUsers group

    download_url = body(uploaded)["download_url"]
    download = client_on(tenant, viewer).get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="plan.pdf"'
    assert content(download) == data
    assert client_on(other_tenant, outsider).get(download_url).status_code == 404
    assert client_on(tenant, outsider).get(download_url).status_code == 403


def test_purging_a_tenants_files_empties_its_prefix_and_no_other(
    bucket: Any, client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, member: User
) -> None:
    task = _task(tenant, member)
    for name in ("a.txt", "b.txt"):
        client_on(tenant, member).post(
            attachments_url(task.public_id), {"file": SimpleUploadedFile(name, b"x")}
        )
    theirs = f"{tenant_media_prefix(other_tenant.schema_name)}attachments/kept/c.txt"
    bucket.put_object(Bucket=BUCKET, Key=theirs, Body=b"y")

    removed = storage_delete_prefix(tenant_media_prefix(tenant.schema_name))

    assert removed == 2
    assert _keys(bucket) == [theirs]
