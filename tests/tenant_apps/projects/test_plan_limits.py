"""What a plan allows the work tracker: active projects (creating one, restoring an archived one)
and attachment storage, refused with a message that names the limit and the plan that lifts it,
on the pages and as a 402 from the API, with nothing created or stored."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from billing.catalog import MB, Limit
from billing.entitlements import PlanLimitError, usage_of
from shared_apps.accounts.models import User
from tenant_apps.projects.models import Attachment, Project, Task
from tenant_apps.projects.services import Actor, attachment_add, project_create, project_update
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.storage import storage_walk, tenant_media_prefix
from tests.conftest import ClientFactory
from tests.tenant_apps.plans import advisory_lock_is_free, on_plan
from tests.tenant_apps.projects.api_support import (
    PROJECTS,
    attachments_url,
    body,
    generous_api_rate,  # noqa: F401 - an autouse fixture
    send,
    tenant_state,
)

PROJECTS_MESSAGE = "Your Free plan includes 3 projects and this workspace has 3."
UPGRADE = "Upgrade to Pro on the billing page"


def _projects(tenant: Tenant, owner: User, *keys: str, archived: bool = False) -> list[Project]:
    made = []
    with tenant_context(tenant):
        for key in keys:
            project = project_create(name=f"Project {key}", key=key, actor=Actor(user=owner))
            if archived:
                project = project_update(project=project, archived=True, actor=Actor(user=owner))
            made.append(project)
    return made


def _project_count(tenant: Tenant) -> int:
    with tenant_context(tenant):
        return Project.objects.count()


def _assert_refused_402(response: object, limit: str, code: str = "plan_limit") -> dict[str, str]:
    assert response.status_code == 402, response.content  # type: ignore[attr-defined]
    data: dict[str, str] = body(response)
    assert (data["code"], data["limit"]) == (code, limit)
    assert data["upgrade_url"] == "http://acme.localhost/settings/billing/"
    return data


# ---- Projects --------------------------------------------------------------------------------


def test_the_meters_count_active_projects_and_stored_bytes(tenant: Tenant, owner: User) -> None:
    _projects(tenant, owner, "ONE", "TWO")
    _projects(tenant, owner, "OLD", archived=True)
    with tenant_context(tenant):
        task = Task.objects.create(project=Project.objects.get(key="ONE"), number=1, title="T")
        Attachment.objects.create(task=task, file="nowhere/a", name="a", size=1500)
        Attachment.objects.create(task=task, file="nowhere/b", name="b", size=500)
        assert usage_of(tenant, Limit.PROJECTS) == 2
        assert usage_of(tenant, Limit.STORAGE) == 2000


def test_on_free_the_fourth_project_is_refused_on_the_page_and_nothing_is_created(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User
) -> None:
    on_plan(tenant, "free")
    _projects(tenant, owner, "ONE", "TWO", "THREE")
    before = tenant_state(tenant)

    response = client_on(tenant, member).post(
        "/projects/new/", {"name": "Fourth", "key": "FOUR", "description": ""}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert PROJECTS_MESSAGE in page
    assert UPGRADE in page
    assert 'href="/settings/billing/"' in page
    assert tenant_state(tenant) == before


def test_on_free_the_api_answers_402_and_creates_nothing(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User
) -> None:
    on_plan(tenant, "free")
    _projects(tenant, owner, "ONE", "TWO", "THREE")
    before = tenant_state(tenant)

    response = send(client_on(tenant, member), "POST", PROJECTS, {"name": "Fourth", "key": "FOUR"})

    data = _assert_refused_402(response, "projects")
    assert PROJECTS_MESSAGE in data["detail"]
    assert UPGRADE in data["detail"]
    assert tenant_state(tenant) == before


def test_on_free_a_third_project_is_created_and_archived_ones_do_not_count(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User
) -> None:
    on_plan(tenant, "free")
    _projects(tenant, owner, "ONE", "TWO")
    _projects(tenant, owner, "OLD", "OLDER", archived=True)

    page = client_on(tenant, member).post("/projects/new/", {"name": "Third", "key": "THREE"})
    assert page.status_code == 302
    assert page["Location"] == "/projects/THREE/"
    api = send(client_on(tenant, member), "POST", PROJECTS, {"name": "Fourth", "key": "FOUR"})
    assert api.status_code == 402
    assert _project_count(tenant) == 5


@pytest.mark.parametrize("plan", ["pro", "business"])
def test_on_paid_plans_projects_are_unlimited(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User, plan: str
) -> None:
    on_plan(tenant, plan)
    _projects(tenant, owner, "ONE", "TWO", "THREE")

    page = client_on(tenant, member).post("/projects/new/", {"name": "Fourth", "key": "FOUR"})
    api = send(client_on(tenant, member), "POST", PROJECTS, {"name": "Fifth", "key": "FIVE"})

    assert page.status_code == 302
    assert api.status_code == 201, api.content
    assert _project_count(tenant) == 5


def test_restoring_an_archived_project_over_the_limit_is_refused_on_the_page(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User
) -> None:
    on_plan(tenant, "free")
    _projects(tenant, owner, "OLD", archived=True)
    _projects(tenant, owner, "ONE", "TWO", "THREE")
    client = client_on(tenant, member)

    response = client.post("/projects/OLD/restore/")

    assert response.status_code == 302
    assert response["Location"] == "/projects/"
    page = client.get("/projects/").content.decode()
    assert "The project was not restored." in page
    assert PROJECTS_MESSAGE in page
    assert UPGRADE in page
    with tenant_context(tenant):
        assert Project.objects.get(key="OLD").archived


def test_restoring_over_the_limit_through_the_api_is_402_and_archiving_still_works(
    client_on: ClientFactory, tenant: Tenant, owner: User, member: User
) -> None:
    on_plan(tenant, "free")
    (old,) = _projects(tenant, owner, "OLD", archived=True)
    active = _projects(tenant, owner, "ONE", "TWO", "THREE")
    client = client_on(tenant, member)
    before = tenant_state(tenant)

    refused = send(client, "PATCH", f"{PROJECTS}{old.public_id}/", {"archived": False})

    _assert_refused_402(refused, "projects")
    assert tenant_state(tenant) == before
    # Archiving one frees a slot: then the old project comes back.
    archived = send(client, "PATCH", f"{PROJECTS}{active[0].public_id}/", {"archived": True})
    restored = send(client, "PATCH", f"{PROJECTS}{old.public_id}/", {"archived": False})
    assert archived.status_code == 200
    assert restored.status_code == 200, restored.content
    assert body(restored)["archived"] is False


def test_a_rename_of_an_archived_project_is_no_restore_and_needs_no_room(
    tenant: Tenant, owner: User
) -> None:
    on_plan(tenant, "free")
    (old,) = _projects(tenant, owner, "OLD", archived=True)
    _projects(tenant, owner, "ONE", "TWO", "THREE")
    with tenant_context(tenant):
        renamed = project_update(project=old, name="Old stuff", actor=Actor(user=owner))
        assert (renamed.name, renamed.archived) == ("Old stuff", True)
        with pytest.raises(PlanLimitError):
            project_update(project=old, archived=False, actor=Actor(user=owner))


def test_a_create_holds_the_workspaces_projects_lock_until_its_transaction_ends(
    tenant: Tenant, other_tenant: Tenant, owner: User
) -> None:
    """Two creates at once: the second waits for the first to commit, then counts its
    project, so they cannot both take the last slot."""
    on_plan(tenant, "free")
    projects_lock = 7302
    assert advisory_lock_is_free(projects_lock, tenant.pk)

    with transaction.atomic():
        _projects(tenant, owner, "ONE")
        # Another request of this workspace would wait here; other workspaces do not.
        assert not advisory_lock_is_free(projects_lock, tenant.pk)
        assert advisory_lock_is_free(projects_lock, other_tenant.pk)
        assert advisory_lock_is_free(7303, tenant.pk)  # storage has a lock of its own


# ---- Storage ---------------------------------------------------------------------------------


@pytest.fixture
def task(tenant: Tenant, owner: User) -> Task:
    (project,) = _projects(tenant, owner, "WEB")
    with tenant_context(tenant):
        return Task.objects.create(project=project, number=1, title="Upload here")


def _use_storage(tenant: Tenant, task: Task, size: int) -> None:
    """Attachments taking `size` bytes, without writing them: only their rows count."""
    with tenant_context(tenant):
        Attachment.objects.create(task=task, file="nowhere/big.bin", name="big.bin", size=size)


def _stored_files(tenant: Tenant) -> list[str]:
    return sorted(storage_walk(tenant_media_prefix(tenant.schema_name)))


def test_on_free_an_upload_past_100_mb_is_refused_on_the_page_and_not_stored(
    client_on: ClientFactory, tenant: Tenant, member: User, task: Task
) -> None:
    on_plan(tenant, "free")
    _use_storage(tenant, task, 100 * MB - 1000)

    response = client_on(tenant, member).post(
        "/projects/WEB/1/attachments/",
        {"file": SimpleUploadedFile("notes.txt", b"x" * 2048, content_type="text/plain")},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Your Free plan includes 100 MB of attachments" in page
    assert "this file needs 2 KB more" in page
    assert UPGRADE in page
    assert 'href="/settings/billing/"' in page
    with tenant_context(tenant):
        assert Attachment.objects.count() == 1
    assert _stored_files(tenant) == []


def test_on_free_an_api_upload_past_100_mb_is_402_and_not_stored(
    client_on: ClientFactory, tenant: Tenant, member: User, task: Task
) -> None:
    on_plan(tenant, "free")
    _use_storage(tenant, task, 100 * MB - 1000)
    before = tenant_state(tenant)

    response = client_on(tenant, member).post(
        attachments_url(task.public_id), {"file": SimpleUploadedFile("notes.txt", b"x" * 2048)}
    )

    data = _assert_refused_402(response, "storage")
    assert "100 MB of attachments" in data["detail"]
    assert UPGRADE in data["detail"]
    assert tenant_state(tenant) == before
    assert _stored_files(tenant) == []


def test_on_free_a_file_that_fits_is_stored(
    client_on: ClientFactory, tenant: Tenant, member: User, task: Task
) -> None:
    on_plan(tenant, "free")
    _use_storage(tenant, task, 100 * MB - 4096)

    page = client_on(tenant, member).post(
        "/projects/WEB/1/attachments/", {"file": SimpleUploadedFile("a.txt", b"x" * 2048)}
    )
    api = client_on(tenant, member).post(
        attachments_url(task.public_id), {"file": SimpleUploadedFile("b.txt", b"x" * 2048)}
    )
    # Exactly full now: one more byte is too many.
    with tenant_context(tenant), pytest.raises(PlanLimitError):
        attachment_add(
            tenant=tenant, task=task, upload=ContentFile(b"x", name="c.txt"), actor=Actor(None)
        )

    assert page.status_code == 302
    assert api.status_code == 201, api.content
    with tenant_context(tenant):
        assert usage_of(tenant, Limit.STORAGE) == 100 * MB
    assert len(_stored_files(tenant)) == 2


@pytest.mark.parametrize("plan", ["pro", "business"])
def test_on_paid_plans_the_same_upload_is_stored(
    client_on: ClientFactory, tenant: Tenant, member: User, task: Task, plan: str
) -> None:
    on_plan(tenant, plan)
    _use_storage(tenant, task, 100 * MB - 1000)

    page = client_on(tenant, member).post(
        "/projects/WEB/1/attachments/", {"file": SimpleUploadedFile("a.txt", b"x" * 2048)}
    )
    api = client_on(tenant, member).post(
        attachments_url(task.public_id), {"file": SimpleUploadedFile("b.txt", b"x" * 2048)}
    )

    assert page.status_code == 302
    assert api.status_code == 201, api.content
    assert len(_stored_files(tenant)) == 2
