"""A member's day in the work tracker, in a real browser against gunicorn: a project, tasks,
a card dragged across the board, a comment, a file uploaded and downloaded back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, FilePayload, expect

from shared_apps.accounts.models import User
from shared_apps.accounts.services import user_email_mark_verified
from tenant_apps.audit.models import AuditEntry
from tenant_apps.projects.models import Label, Project, Task
from tenant_apps.projects.services import Actor, task_create
from tenants.context import tenant_context
from tenants.models import Membership, Tenant
from tenants.roles import Role
from tests.browser.conftest import Database, screenshot, sign_in
from tests.conftest import PASSWORD
from tests.servers import LiveServer

pytestmark = pytest.mark.browser

ACME = "acme.localhost"
NOTES = "Launch checklist\n- DNS switched\n- Caches warmed\nnaïve café ✓\n".encode()


@dataclass(frozen=True)
class Worker:
    email: str
    key: str  # the key of the project the journey creates


@pytest.fixture
def worker(database: Database) -> Iterator[Worker]:
    """A member of Acme of the journey's own, and afterwards nothing left of its work."""
    suffix = uuid.uuid4().hex[:6]
    found = Worker(email=f"worker-{suffix}@example.com", key="LAUNCH")

    def create() -> None:
        user = User.objects.create_user(
            email=found.email, password=PASSWORD, full_name="Wendy Worker"
        )
        user_email_mark_verified(user=user)
        Membership.objects.create(
            user=user, tenant=Tenant.objects.get(slug="acme"), role=Role.MEMBER
        )

    def forget() -> None:
        with tenant_context(Tenant.objects.get(slug="acme")):
            # With its tasks, comments and attachments (the files go with the server's media).
            Project.objects.filter(key=found.key).delete()
            # The labels the team's work brought, now on no task (Acme starts without labels).
            Label.objects.filter(name__in=["design", "bug"], tasks__isnull=True).delete()
            AuditEntry.objects.filter(actor_label=found.email).delete()
            AuditEntry.objects.filter(target_label__startswith=found.key).delete()
        User.objects.filter(email=found.email).delete()

    database(create)
    yield found
    database(forget)


TEAMMATES_WORK = [
    ("Press kit: logos and screenshots", "todo", "medium", "design", 12),
    ("Landing page for the campaign", "in_progress", "urgent", "design", 5),
    ("Email to existing customers", "in_progress", "medium", "", 8),
    ("Tracking links for the ads", "in_review", "low", "bug", 3),
    ("Pick the launch date", "done", "high", "", None),
    ("Budget sign-off", "done", "medium", "", None),
]


def _teammates_work(worker: Worker) -> None:
    """Tasks the rest of the team adds, through the services like the pages do."""
    acme = Tenant.objects.get(slug="acme")
    alice = User.objects.get(email="alice@acme.test")
    actor = Actor(user=alice)
    with tenant_context(acme):
        project = Project.objects.get(key=worker.key)
        labels = {
            name: Label.objects.get_or_create(name=name, defaults={"color": color})[0]
            for name, color in [("design", "#dd2590"), ("bug", "#d92d20")]
        }
        for title, status, priority, label, due in TEAMMATES_WORK:
            task_create(
                tenant=acme,
                project=project,
                title=title,
                status=status,
                priority=priority,
                assignee_id=alice.pk if label else None,
                due_date=timezone.localdate() + timedelta(days=due) if due else None,
                labels=[labels[label]] if label else [],
                actor=actor,
            )


def test_a_member_runs_a_project_from_first_task_to_a_file_on_the_board(
    app_server: LiveServer, browser: Browser, worker: Worker, database: Database, tmp_path: Path
) -> None:
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(page, app_server, ACME, worker.email)

    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Projects").click()
    page.get_by_role("link", name="New project").click()
    page.get_by_label("Name").fill("Spring launch")
    page.get_by_label("Key").fill(worker.key.lower())
    page.get_by_label("Description").fill("Everything for the spring campaign.")
    page.get_by_role("button", name="Create project").click()

    expect(page).to_have_url(app_server.url(ACME, f"/projects/{worker.key}/"))
    expect(page.get_by_text("Spring launch is ready. Add its first task.")).to_be_visible()

    page.get_by_role("link", name="New task").click()
    page.get_by_label("Title").fill("Write the announcement")
    page.get_by_label("Description").fill(
        "A short post for the blog and the newsletter.\nMention the new pricing and the demo."
    )
    page.get_by_label("Priority").select_option("high")
    page.get_by_label("Assignee").select_option(label="Wendy Worker")
    page.get_by_role("button", name="Create and add another").click()
    expect(page.get_by_text(f"{worker.key}-1 created.")).to_be_visible()
    page.get_by_label("Title").fill("Book the venue")
    page.get_by_label("Due date").fill("2030-04-01")
    page.get_by_role("button", name="Create task", exact=True).click()
    expect(page.get_by_test_id("task-title")).to_contain_text("Book the venue")

    # The board: drag the first card from To do to In progress.
    page.get_by_role("link", name="Board", exact=True).first.click()
    card = page.get_by_test_id(f"card-{worker.key}-1")
    todo, doing = page.get_by_test_id("column-todo"), page.get_by_test_id("column-in_progress")
    expect(todo.get_by_test_id(f"card-{worker.key}-1")).to_be_visible()
    card.drag_to(doing)
    expect(page.get_by_text(f"{worker.key}-1 moved to In progress.")).to_be_visible()
    expect(doing.get_by_test_id(f"card-{worker.key}-1")).to_be_visible()
    expect(doing.locator("[data-count]")).to_have_text("1")
    expect(todo.locator("[data-count]")).to_have_text("1")
    page.reload()  # it was saved, not only drawn there
    expect(doing.get_by_test_id(f"card-{worker.key}-1")).to_be_visible()
    expect(todo.get_by_test_id(f"card-{worker.key}-2")).to_be_visible()

    def status_of_first() -> tuple[str, int]:
        with tenant_context(Tenant.objects.get(slug="acme")):
            task = Task.objects.get(project__key=worker.key, number=1)
            return task.status, task.version

    assert database(status_of_first) == ("in_progress", 2)

    # Teammates add their work meanwhile, and the board shows all of it.
    database(lambda: _teammates_work(worker))
    page.reload()
    expect(page.get_by_test_id("column-done").locator("[data-count]")).to_have_text("2")
    screenshot(page, "project-board")

    # The task: a comment and a file, and the file comes back byte for byte.
    page.get_by_role("link", name="Write the announcement").click()
    expect(page.get_by_test_id("task-status")).to_have_text("In progress")
    expect(page.get_by_test_id("task-assignee")).to_contain_text("Wendy Worker")
    expect(page.get_by_test_id("task-description")).to_contain_text("Mention the new pricing")
    page.get_by_label("Add a comment").fill("Draft is in the shared folder.")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.get_by_test_id("comment")).to_contain_text("Draft is in the shared folder.")
    expect(page.get_by_test_id("comment")).to_contain_text("Wendy Worker")

    notes: FilePayload = {"name": "launch-notes.txt", "mimeType": "text/plain", "buffer": NOTES}
    page.get_by_label("Attach a file").set_input_files(files=[notes])
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("launch-notes.txt attached.")).to_be_visible()
    listed = page.get_by_test_id("attachment-launch-notes.txt")
    expect(listed).to_contain_text(f"{len(NOTES)}\xa0bytes")
    expect(listed).to_contain_text("Wendy Worker")
    page.evaluate("window.scrollTo(0, 0)")  # the upload came back to #attachments
    screenshot(page, "task-detail")
    with page.expect_download() as download:
        listed.get_by_role("link", name="launch-notes.txt").click()
    assert download.value.suggested_filename == "launch-notes.txt"
    saved = tmp_path / "downloaded.txt"
    download.value.save_as(saved)
    assert saved.read_bytes() == NOTES

    page.get_by_role("link", name="Projects", exact=True).first.click()
    project = page.get_by_test_id(f"project-{worker.key}")
    expect(project).to_contain_text("Spring launch")
    expect(project).to_contain_text("3 in progress")
    expect(project).to_contain_text("8 tasks")
    screenshot(page, "projects")
