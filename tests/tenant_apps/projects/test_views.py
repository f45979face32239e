"""The work tracker's pages: members write, viewers read, outsiders get nothing; forms explain
what is wrong and change nothing; lists cost the same number of queries however long they are;
files always download."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shared_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenant_apps.projects import services
from tenant_apps.projects.models import Attachment, Comment, Label, Project, Task
from tenant_apps.projects.services import (
    Actor,
    attachment_add,
    comment_add,
    project_create,
    project_update,
    task_create,
    task_update,
)
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.conftest import ClientFactory

MakeTask = Callable[..., Task]


@pytest.fixture
def web(tenant: Tenant, member: User) -> Project:
    with tenant_context(tenant):
        return project_create(
            name="Website", key="WEB", description="The public site", actor=Actor(user=member)
        )


@pytest.fixture
def make_task(tenant: Tenant, web: Project, member: User) -> MakeTask:
    def make(title: str = "A task", *, by: User = member, **fields: Any) -> Task:
        with tenant_context(tenant):
            return task_create(
                tenant=tenant, project=web, title=title, actor=Actor(user=by), **fields
            )

    return make


def _page(response: Any) -> str:
    return str(response.content.decode())


def _task(tenant: Tenant, task: Task) -> Task:
    with tenant_context(tenant):
        return Task.objects.get(pk=task.pk)


def _label(tenant: Tenant, name: str, color: str = "#079455") -> Label:
    with tenant_context(tenant):
        return Label.objects.create(name=name, color=color)


# ---- Projects ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["owner", "member", "viewer"])
def test_every_member_sees_the_projects_with_their_tasks_counted_by_status(
    client_on: ClientFactory,
    tenant: Tenant,
    make_task: MakeTask,
    persona: str,
    request: pytest.FixtureRequest,
) -> None:
    for status in ["todo", "todo", "in_progress", "done"]:
        make_task(status=status)

    response = client_on(tenant, request.getfixturevalue(persona)).get("/projects/")

    assert response.status_code == 200
    page = _page(response)
    assert 'data-testid="project-WEB"' in page
    assert "<strong>2</strong> to do" in page
    assert "<strong>1</strong> in progress" in page
    assert "<strong>0</strong> in review" in page
    assert "<strong>1</strong> done" in page
    assert ("New project" in page) is (persona != "viewer")


def test_archived_projects_are_listed_apart_and_can_be_restored(
    client_on: ClientFactory, tenant: Tenant, web: Project, member: User
) -> None:
    with tenant_context(tenant):
        project_create(name="Old site", key="OLD", actor=Actor(user=member))
    client = client_on(tenant, member)

    archived = client.post("/projects/OLD/archive/")
    page = _page(client.get("/projects/"))

    assert archived.status_code == 302
    assert 'data-testid="archived-OLD"' in page
    assert 'data-testid="project-OLD"' not in page
    assert 'data-testid="project-WEB"' in page
    restored = client.post("/projects/OLD/restore/")
    assert restored.headers["Location"] == "/projects/OLD/"
    with tenant_context(tenant):
        assert not Project.objects.get(key="OLD").archived
        actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert AuditAction.PROJECT_ARCHIVED in actions
    assert AuditAction.PROJECT_RESTORED in actions


def test_a_member_creates_a_project_and_lands_on_its_tasks(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    response = client_on(tenant, member).post(
        "/projects/new/", {"name": " Mobile  app ", "key": "app", "description": "iOS"}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/projects/APP/"
    with tenant_context(tenant):
        project = Project.objects.get()
        assert (project.name, project.key, project.created_by_id) == (
            "Mobile app",
            "APP",
            member.pk,
        )
        assert AuditEntry.objects.filter(action=AuditAction.PROJECT_CREATED).count() == 1


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("W", "2 to 10 capital letters"),
        ("1AB", "starting with a letter"),
        ("web", "WEB is the key of another project already."),
        ("", "This field is required."),
    ],
)
def test_a_bad_or_taken_key_is_shown_on_the_form_and_creates_nothing(
    client_on: ClientFactory, tenant: Tenant, web: Project, member: User, key: str, message: str
) -> None:
    response = client_on(tenant, member).post("/projects/new/", {"name": "Another", "key": key})

    assert response.status_code == 400
    page = _page(response)
    assert '<div class="field has-error">\n  <label for="id_key">Key</label>' in page
    assert message in page
    assert 'value="Another"' in page  # what they typed stays
    with tenant_context(tenant):
        assert list(Project.objects.values_list("key", flat=True)) == ["WEB"]


def test_a_member_renames_a_project_but_never_its_key(
    client_on: ClientFactory, tenant: Tenant, web: Project, member: User
) -> None:
    client = client_on(tenant, member)
    assert "Keys never change" in _page(client.get("/projects/WEB/edit/"))

    empty = client.post("/projects/WEB/edit/", {"name": "  ", "description": ""})
    saved = client.post(
        "/projects/WEB/edit/", {"name": "Website 2", "description": "New", "key": "NEW"}
    )

    assert empty.status_code == 400
    assert "This field is required." in _page(empty)
    assert saved.status_code == 302
    with tenant_context(tenant):
        project = Project.objects.get()
    assert (project.key, project.name, project.description) == ("WEB", "Website 2", "New")


# ---- Viewers read, and only read -----------------------------------------------------------


def _write_requests(
    task: Task, comment: Comment, attachment: Attachment, label: Label
) -> list[tuple[str, dict[str, Any]]]:
    ref = f"/projects/WEB/{task.number}"
    return [
        ("/projects/new/", {"name": "Viewer's", "key": "VIEW"}),
        ("/projects/WEB/edit/", {"name": "Renamed", "description": ""}),
        ("/projects/WEB/archive/", {}),
        ("/projects/WEB/tasks/new/", {"project": "WEB", "title": "Viewer task"}),
        (f"{ref}/edit/", {"title": "Renamed", "status": "done", "priority": "low", "version": 1}),
        (f"{ref}/move/", {"status": "done", "version": task.version}),
        (f"{ref}/comments/", {"body": "Viewer comment"}),
        (f"{ref}/attachments/", {"file": SimpleUploadedFile("v.txt", b"viewer")}),
        (f"{ref}/delete/", {}),
        (f"/comments/{comment.public_id}/delete/", {}),
        (f"/attachments/{attachment.public_id}/delete/", {}),
        ("/labels/new/", {"name": "viewer-label", "color": "#000000"}),
        (f"/labels/{label.pk}/delete/", {}),
    ]


def _snapshot(tenant: Tenant) -> tuple[Any, ...]:
    with tenant_context(tenant):
        return (
            sorted(Project.objects.values_list("key", "name", "archived")),
            sorted(Task.objects.values_list("number", "title", "status", "version")),
            sorted(Comment.objects.values_list("body", flat=True)),
            sorted(Attachment.objects.values_list("name", flat=True)),
            sorted(Label.objects.values_list("name", flat=True)),
            AuditEntry.objects.exclude(action__startswith="auth.").count(),
        )


def test_a_viewer_reads_every_page_but_every_write_is_refused_and_changes_nothing(
    client_on: ClientFactory, tenant: Tenant, web: Project, make_task: MakeTask, member: User,
    viewer: User,
) -> None:  # fmt: skip
    label = _label(tenant, "design")
    task = make_task("Launch page", labels=[label])
    with tenant_context(tenant):
        comment = comment_add(task=task, body="Mia's note", actor=Actor(user=member))
        attachment = attachment_add(
            tenant=tenant,
            task=task,
            upload=ContentFile(b"x", name="a.txt"),
            actor=Actor(user=member),
        )
    client = client_on(tenant, viewer)

    for path, shows in [
        ("/projects/", "Website"),
        ("/projects/WEB/", "Launch page"),
        ("/projects/WEB/board/", "Launch page"),
        ("/projects/WEB/1/", "Launch page"),
        ("/labels/", "design"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        page = _page(response)
        assert shows in page, path
        assert 'type="submit">Move' not in page
        assert "Edit task" not in page
        assert "New task" not in page
        assert "New project" not in page
    assert "Mia&#x27;s note" in _page(client.get("/projects/WEB/1/"))
    assert client.get(f"/attachments/{attachment.public_id}/download/").status_code == 200

    before = _snapshot(tenant)
    for path, data in _write_requests(task, comment, attachment, label):
        assert client.post(path, data).status_code == 403, path
    for path in ["/projects/new/", "/projects/WEB/edit/", "/projects/WEB/tasks/new/"]:
        assert client.get(path).status_code == 403, path
    assert _snapshot(tenant) == before


# ---- Outsiders -----------------------------------------------------------------------------


def test_an_outsider_sees_no_page_of_the_work_tracker(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, outsider: User
) -> None:
    task = make_task("Confidential launch")
    with tenant_context(tenant):
        attachment = attachment_add(
            tenant=tenant,
            task=task,
            upload=ContentFile(b"secret bytes", name="plan.txt"),
            actor=Actor(user=None, label="test"),
        )

    for path in [
        "/projects/",
        "/projects/WEB/",
        "/projects/WEB/board/",
        "/projects/WEB/1/",
        "/labels/",
        f"/attachments/{attachment.public_id}/download/",
    ]:
        response = client_on(tenant, outsider).get(path)
        assert response.status_code == 403, path
        assert b"Confidential launch" not in response.content
        assert b"secret bytes" not in b"".join(getattr(response, "streaming_content", [b""]))
        assert b"Website" not in response.content


def test_an_attachment_of_acme_does_not_exist_on_globex(
    client_on: ClientFactory, tenant: Tenant, other_tenant: Tenant, make_task: MakeTask,
    outsider: User,
) -> None:  # fmt: skip
    task = make_task()
    with tenant_context(tenant):
        attachment = attachment_add(
            tenant=tenant,
            task=task,
            upload=ContentFile(b"acme only", name="acme.txt"),
            actor=Actor(user=None, label="test"),
        )

    # Olga owns Globex: on her own host Acme's attachment id names nothing.
    response = client_on(other_tenant, outsider).get(
        f"/attachments/{attachment.public_id}/download/"
    )

    assert response.status_code == 404
    assert b"acme only" not in response.content


# ---- The task list -------------------------------------------------------------------------


def _listed(client: Client, query: str = "") -> list[str]:
    response = client.get(f"/projects/WEB/{query}")
    assert response.status_code == 200, _page(response)
    page = _page(response)
    return [
        line.split('data-testid="task-WEB-')[1].split('"')[0]
        for line in page.splitlines()
        if 'data-testid="task-WEB-' in line
    ]


def test_the_task_list_filters_by_each_field_and_orders(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User, owner: User
) -> None:
    design = _label(tenant, "design")
    today = timezone.localdate()
    make_task("Draw the logo", status="in_progress", priority="high", labels=[design],
              assignee_id=member.pk, due_date=today + timedelta(days=3))  # fmt: skip
    make_task("Write the copy", status="todo", priority="low", assignee_id=owner.pk,
              due_date=today + timedelta(days=10))  # fmt: skip
    make_task("Ship it", status="done", priority="urgent")
    client = client_on(tenant, member)

    assert _listed(client) == ["3", "2", "1"]
    assert _listed(client, "?status=in_progress") == ["1"]
    assert _listed(client, "?priority=low") == ["2"]
    assert _listed(client, f"?assignee={owner.pk}") == ["2"]
    assert _listed(client, "?assignee=none") == ["3"]
    assert _listed(client, "?label=design") == ["1"]
    assert _listed(client, f"?due_before={today + timedelta(days=5)}") == ["1"]
    assert _listed(client, f"?due_after={today + timedelta(days=5)}") == ["2"]
    assert _listed(client, "?q=THE") == ["2", "1"]
    assert _listed(client, "?order=priority") == ["3", "1", "2"]
    assert _listed(client, "?order=due") == ["1", "2", "3"]
    assert _listed(client, "?order=title&status=") == ["1", "3", "2"]


def test_a_filter_that_makes_no_sense_says_so_and_lists_nothing(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User
) -> None:
    make_task("Visible only unfiltered")
    client = client_on(tenant, member)

    bad_status = client.get("/projects/WEB/?status=sleeping")
    bad_range = client.get("/projects/WEB/?due_after=2026-05-02&due_before=2026-05-01")

    assert bad_status.status_code == 400
    assert "Select a valid choice" in _page(bad_status)
    assert "Visible only unfiltered" not in _page(bad_status)
    assert bad_range.status_code == 400
    assert "on or after the “Due from” date" in _page(bad_range)


def test_the_task_list_is_paginated_and_keeps_the_filters(
    client_on: ClientFactory, tenant: Tenant, web: Project, member: User
) -> None:
    with tenant_context(tenant):
        for n in range(30):
            Task.objects.create(project=web, number=n + 1, title=f"Task {n + 1}", status="todo")
    client = client_on(tenant, member)

    first = _page(client.get("/projects/WEB/?status=todo&order=oldest"))
    second = client.get("/projects/WEB/?status=todo&order=oldest&page=2")

    assert "Page 1 of 2" in first
    assert "status=todo&amp;order=oldest&amp;page=2" in first
    assert _listed(client, "?status=todo&order=oldest&page=2") == [str(n) for n in range(26, 31)]
    assert "Page 2 of 2" in _page(second)


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("path", ["/projects/", "/projects/WEB/", "/projects/WEB/board/", "/"])
def test_lists_cost_the_same_queries_for_3_tasks_as_for_12(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User, owner: User,
    path: str,
) -> None:  # fmt: skip
    labels = [_label(tenant, "one"), _label(tenant, "two")]
    statuses = ["todo", "in_progress", "in_review", "done"]

    def add(count: int) -> None:
        for n in range(count):
            make_task(
                f"Task {n}", status=statuses[n % 4], labels=labels,
                assignee_id=(member.pk, owner.pk)[n % 2], due_date=date(2030, 1, 1 + n),
            )  # fmt: skip

    client = client_on(tenant, member)
    add(3)
    client.get(path)  # warm: sessions, routing
    few = _queries(client, path)
    add(9)
    many = _queries(client, path)

    assert few == many


# ---- The board -----------------------------------------------------------------------------


def test_the_board_shows_cards_in_their_columns(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User
) -> None:
    make_task("Sketch", status="in_review", assignee_id=member.pk)
    make_task("Plan")
    page = _page(client_on(tenant, member).get("/projects/WEB/board/"))

    review = page.split('data-testid="column-in_review"')[1].split("</section>")[0]
    todo = page.split('data-testid="column-todo"')[1].split("</section>")[0]
    assert "Sketch" in review
    assert "Plan" in todo
    assert "Plan" not in review
    assert 'aria-label="Move WEB-1 to"' in page
    assert "js/board.js" in page


def test_moving_a_card_with_the_form_changes_its_status(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User
) -> None:
    task = make_task()
    client = client_on(tenant, member)

    response = client.post("/projects/WEB/1/move/", {"status": "in_progress", "version": 1})

    assert response.status_code == 302
    assert response.headers["Location"] == "/projects/WEB/board/"
    moved = _task(tenant, task)
    assert (moved.status, moved.version) == ("in_progress", 2)
    assert "WEB-1 moved to In progress." in _page(client.get("/projects/WEB/board/"))


def test_moving_a_card_from_the_script_answers_json(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User
) -> None:
    make_task()
    client = client_on(tenant, member)

    response = client.post(
        "/projects/WEB/1/move/", {"status": "done", "version": 1}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 200
    assert response.json() == {"message": "WEB-1 moved to Done.", "status": "done", "version": 2}


def test_a_stale_move_is_refused_with_a_clear_message_and_loses_nothing(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User, owner: User
) -> None:
    task = make_task("Original")
    with tenant_context(tenant):  # someone else edits after the board was loaded
        task_update(
            tenant=tenant, task=task, expected_version=1, changes={"title": "Their title"},
            actor=Actor(user=owner),
        )  # fmt: skip
    client = client_on(tenant, member)

    script = client.post(
        "/projects/WEB/1/move/", {"status": "done", "version": 1}, HTTP_ACCEPT="application/json"
    )
    form = client.post("/projects/WEB/1/move/", {"status": "done", "version": 1}, follow=True)

    assert script.status_code == 409
    assert "changed by someone else" in script.json()["error"]
    assert script.json()["version"] == 2
    assert "WEB-1 was changed by someone else since this board was loaded" in _page(form)
    kept = _task(tenant, task)
    assert (kept.title, kept.status, kept.version) == ("Their title", "todo", 2)


def test_a_move_to_no_such_column_is_refused(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User
) -> None:
    task = make_task()

    response = client_on(tenant, member).post(
        "/projects/WEB/1/move/",
        {"status": "sleeping", "version": 1},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 400
    assert _task(tenant, task).status == "todo"


# ---- Creating and editing tasks ------------------------------------------------------------


def test_a_member_creates_a_task_with_every_field(
    client_on: ClientFactory, tenant: Tenant, web: Project, member: User, owner: User
) -> None:
    design = _label(tenant, "design")
    _label(tenant, "backend")
    client = client_on(tenant, member)
    form = _page(client.get("/projects/WEB/tasks/new/"))
    assert f'<option value="{owner.pk}">Alice Owner</option>' in form
    assert "Olga" not in form  # members of this workspace only

    response = client.post(
        "/projects/WEB/tasks/new/",
        {
            "project": "WEB", "title": "Hero image", "description": "Big and bold",
            "status": "in_progress", "priority": "high", "assignee": owner.pk,
            "due_date": "2030-03-01", "labels": [design.pk],
        },
    )  # fmt: skip

    assert response.status_code == 302
    assert response.headers["Location"] == "/projects/WEB/1/"
    with tenant_context(tenant):
        task = Task.objects.get()
        assert (task.title, task.status, task.priority, task.assignee_id, task.due_date) == (
            "Hero image", "in_progress", "high", owner.pk, date(2030, 3, 1),
        )  # fmt: skip
        assert list(task.labels.values_list("name", flat=True)) == ["design"]
    page = _page(client.get("/projects/WEB/1/"))
    assert "Big and bold" in page
    assert "Alice Owner" in page
    assert "design" in page


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": "   "}, "title", "This field is required."),
        ({"assignee": "outsider"}, "assignee", "Assign the task to a member of this workspace."),
        ({"due_date": "tomorrow"}, "due_date", "Enter a valid date."),
        ({"project": "OLD"}, "project", "Select a valid choice."),
    ],
)
def test_a_task_form_with_a_mistake_explains_it_and_creates_nothing(
    client_on: ClientFactory, tenant: Tenant, web: Project, member: User, outsider: User,
    change: dict[str, str], field: str, message: str,
) -> None:  # fmt: skip
    with tenant_context(tenant):
        old = project_create(name="Old", key="OLD", actor=Actor(user=member))
        project_update(project=old, archived=True, actor=Actor(user=member))
    data = {"project": "WEB", "title": "Fine", "status": "todo", "priority": "medium", **change}
    if data.get("assignee") == "outsider":
        data["assignee"] = str(outsider.pk)

    response = client_on(tenant, member).post("/projects/WEB/tasks/new/", data)

    assert response.status_code == 400
    page = _page(response)
    assert f'<label for="id_{field}">' in page.split('class="field has-error"')[1][:200]
    assert message in page
    with tenant_context(tenant):
        assert not Task.objects.exists()


def test_an_archived_project_takes_no_new_tasks(
    client_on: ClientFactory, tenant: Tenant, web: Project, member: User
) -> None:
    with tenant_context(tenant):
        project_update(project=web, archived=True, actor=Actor(user=member))

    response = client_on(tenant, member).get("/projects/WEB/tasks/new/", follow=True)

    assert "Website is archived; restore it to add tasks." in _page(response)


def test_a_member_edits_a_task(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User, owner: User
) -> None:
    task = make_task("Draft", assignee_id=member.pk)
    client = client_on(tenant, member)
    form = _page(client.get("/projects/WEB/1/edit/"))
    assert 'name="version" value="1"' in form
    assert 'value="Draft"' in form

    response = client.post(
        "/projects/WEB/1/edit/",
        {"title": "Final", "description": "", "status": "in_review", "priority": "urgent",
         "assignee": "", "due_date": "", "version": 1},
    )  # fmt: skip

    assert response.status_code == 302
    saved = _task(tenant, task)
    assert (saved.title, saved.status, saved.priority, saved.assignee_id, saved.version) == (
        "Final", "in_review", "urgent", None, 2,
    )  # fmt: skip


def test_a_stale_edit_keeps_what_was_typed_shows_theirs_and_saves_nothing(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User, owner: User
) -> None:
    task = make_task("Draft")
    with tenant_context(tenant):
        task_update(
            tenant=tenant, task=task, expected_version=1,
            changes={"title": "Alice's title", "priority": "urgent"}, actor=Actor(user=owner),
        )  # fmt: skip
    client = client_on(tenant, member)
    mine = {"title": "Mia's title", "description": "Mia's notes", "status": "done",
            "priority": "low", "assignee": "", "due_date": "", "version": 1}  # fmt: skip

    response = client.post("/projects/WEB/1/edit/", mine)

    assert response.status_code == 400
    page = _page(response)
    assert "Someone else changed this task while you were editing it" in page
    assert 'data-testid="conflict"' in page
    assert "Alice&#x27;s title" in page  # theirs, shown
    assert 'value="Mia&#x27;s title"' in page  # mine, kept in the form
    assert "Mia&#x27;s notes</textarea>" in page
    assert 'name="version" value="2"' in page  # saving again is a choice made knowingly
    kept = _task(tenant, task)
    assert (kept.title, kept.priority, kept.version) == ("Alice's title", "urgent", 2)

    again = client.post("/projects/WEB/1/edit/", {**mine, "version": 2})
    assert again.status_code == 302
    assert _task(tenant, task).title == "Mia's title"


def test_a_member_deletes_a_task_after_confirming(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User
) -> None:
    task = make_task("Doomed")
    with tenant_context(tenant):
        comment_add(task=task, body="bye", actor=Actor(user=member))
    client = client_on(tenant, member)

    confirm = _page(client.get("/projects/WEB/1/delete/"))
    response = client.post("/projects/WEB/1/delete/")

    assert "Delete WEB-1?" in confirm
    assert "with its 1 comment" in confirm
    assert response.headers["Location"] == "/projects/WEB/"
    with tenant_context(tenant):
        assert not Task.objects.exists()
    assert client.get("/projects/WEB/1/").status_code == 404


# ---- Comments ------------------------------------------------------------------------------


def test_a_member_comments_and_an_empty_comment_is_explained(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User
) -> None:
    task = make_task()
    client = client_on(tenant, member)

    empty = client.post("/projects/WEB/1/comments/", {"body": "   "})
    added = client.post("/projects/WEB/1/comments/", {"body": "Looks <b>good</b>"})

    assert empty.status_code == 400
    assert "This field is required." in _page(empty)
    assert added.headers["Location"] == "/projects/WEB/1/#comments"
    page = _page(client.get("/projects/WEB/1/"))
    assert "Looks &lt;b&gt;good&lt;/b&gt;" in page
    assert "Mia Member" in page
    with tenant_context(tenant):
        assert list(task.comments.values_list("body", flat=True)) == ["Looks <b>good</b>"]


def test_a_comment_is_deleted_by_its_author_or_an_admin_only(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User, owner: User,
    admin: User,
) -> None:  # fmt: skip
    task = make_task()
    with tenant_context(tenant):
        alices = comment_add(task=task, body="Alice's", actor=Actor(user=owner))
        mias = comment_add(task=task, body="Mia's", actor=Actor(user=member))
    mia = client_on(tenant, member)

    page = _page(mia.get("/projects/WEB/1/"))
    refused = mia.post(f"/comments/{alices.public_id}/delete/", follow=True)
    mine = mia.post(f"/comments/{mias.public_id}/delete/")
    by_admin = client_on(tenant, admin).post(f"/comments/{alices.public_id}/delete/")

    assert page.count('type="submit">Delete</button></form>') == 1  # only on her own
    assert "Only its author or an admin can delete a comment." in _page(refused)
    assert (mine.status_code, by_admin.status_code) == (302, 302)
    with tenant_context(tenant):
        assert not Comment.objects.exists()


# ---- Attachments ---------------------------------------------------------------------------


def test_a_member_attaches_a_file_and_it_is_listed_with_size_and_uploader(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User
) -> None:
    make_task()
    client = client_on(tenant, member)

    response = client.post(
        "/projects/WEB/1/attachments/",
        {"file": SimpleUploadedFile("notes.txt", b"hello world", content_type="text/plain")},
    )

    assert response.headers["Location"] == "/projects/WEB/1/#attachments"
    page = _page(client.get("/projects/WEB/1/"))
    assert 'data-testid="attachment-notes.txt"' in page
    assert "11\xa0bytes" in page
    assert "Mia Member" in page
    with tenant_context(tenant):
        attachment = Attachment.objects.get()
    assert default_storage.open(attachment.file.name).read() == b"hello world"


def test_an_oversize_file_is_refused_on_the_form_and_nothing_is_stored(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    make_task()
    monkeypatch.setattr(services, "ATTACHMENT_MAX_BYTES", 1024 * 1024)

    response = client_on(tenant, member).post(
        "/projects/WEB/1/attachments/",
        {"file": SimpleUploadedFile("big.bin", b"x" * (1024 * 1024 + 1))},
    )

    assert response.status_code == 400
    page = _page(response)
    assert "A file can be at most 1 MB." in page
    assert "Up to 1 MB." in page
    with tenant_context(tenant):
        assert not Attachment.objects.exists()


def test_uploading_without_a_file_is_explained(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User
) -> None:
    make_task()

    response = client_on(tenant, member).post("/projects/WEB/1/attachments/", {})

    assert response.status_code == 400
    assert "This field is required." in _page(response)


def test_a_file_is_removed_by_whoever_attached_it_or_an_admin_only(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User, owner: User,
) -> None:  # fmt: skip
    task = make_task()
    with tenant_context(tenant):
        alices = attachment_add(
            tenant=tenant,
            task=task,
            upload=ContentFile(b"a", name="a.txt"),
            actor=Actor(user=owner),
        )

    refused = client_on(tenant, member).post(
        f"/attachments/{alices.public_id}/delete/", follow=True
    )

    assert "Only whoever attached a file or an admin can remove it." in _page(refused)
    with tenant_context(tenant):
        assert Attachment.objects.count() == 1
    removed = client_on(tenant, owner).post(f"/attachments/{alices.public_id}/delete/")
    assert removed.status_code == 302
    with tenant_context(tenant):
        assert not Attachment.objects.exists()


def _download(client: Client, attachment: Attachment) -> Any:
    response = client.get(f"/attachments/{attachment.public_id}/download/")
    assert response.status_code == 200
    return response


def _attach(tenant: Tenant, task: Task, name: str, body: bytes, content_type: str) -> Attachment:
    with tenant_context(tenant):
        return attachment_add(
            tenant=tenant,
            task=task,
            upload=SimpleUploadedFile(name, body, content_type=content_type),
            actor=Actor(user=None, label="test"),
        )


def test_a_download_is_always_an_attachment_that_cannot_render_as_a_page(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, viewer: User
) -> None:
    task = make_task()
    page = _attach(tenant, task, "evil.html", b"<script>alert(1)</script>", "text/html")
    svg = _attach(tenant, task, "logo.svg", b"<svg onload=alert(1)>", "image/svg+xml")
    png = _attach(tenant, task, "shot.png", b"\x89PNG\r\n", "image/png")
    client = client_on(tenant, viewer)

    html = _download(client, page)
    assert html["Content-Type"] == "application/octet-stream"
    assert html["Content-Disposition"] == 'attachment; filename="evil.html"'
    assert html["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in html["Content-Security-Policy"]
    assert b"".join(html.streaming_content) == b"<script>alert(1)</script>"
    assert _download(client, svg)["Content-Type"] == "application/octet-stream"
    assert _download(client, png)["Content-Type"] == "image/png"


def test_a_download_names_the_file_safely_whatever_its_name(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User
) -> None:
    task = make_task()
    accented = _attach(tenant, task, "résumé d'été.txt", b"x", "text/plain")
    quoted = _attach(tenant, task, 'say "hi".txt', b"x", "text/plain")
    client = client_on(tenant, member)

    assert _download(client, accented)["Content-Disposition"] == (
        "attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20d%27%C3%A9t%C3%A9.txt"
    )
    assert _download(client, quoted)["Content-Disposition"] == (
        'attachment; filename="say \\"hi\\".txt"'
    )


# ---- Labels --------------------------------------------------------------------------------


def test_a_member_creates_and_deletes_labels_and_a_duplicate_is_explained(
    client_on: ClientFactory, tenant: Tenant, member: User
) -> None:
    client = client_on(tenant, member)

    created = client.post("/labels/new/", {"name": "bug", "color": "#d92d20"})
    duplicate = client.post("/labels/new/", {"name": "bug", "color": "#000000"})

    assert created.status_code == 302
    assert duplicate.status_code == 400
    assert "There is a label" in _page(duplicate)
    with tenant_context(tenant):
        label = Label.objects.get()
    assert label.color == "#d92d20"
    client.post(f"/labels/{label.pk}/delete/")
    with tenant_context(tenant):
        assert not Label.objects.exists()


# ---- The dashboard -------------------------------------------------------------------------


def test_an_empty_workspace_invites_members_to_create_the_first_project(
    client_on: ClientFactory, tenant: Tenant, member: User, viewer: User
) -> None:
    page = _page(client_on(tenant, member).get("/"))
    viewers = _page(client_on(tenant, viewer).get("/"))

    assert (
        'href="/projects/new/" data-testid="create-first-project">Create your first project' in page
    )
    assert "Create your first project" not in viewers
    assert 'href="/projects/"' in page  # the navigation


def test_the_dashboard_shows_recent_projects_and_what_is_assigned_to_you(
    client_on: ClientFactory, tenant: Tenant, make_task: MakeTask, member: User, owner: User
) -> None:
    make_task("Mine to do", assignee_id=member.pk, due_date=date(2030, 1, 1))
    make_task("Mine but done", assignee_id=member.pk, status="done")
    make_task("Alice's", assignee_id=owner.pk)

    page = _page(client_on(tenant, member).get("/"))

    assert "Create your first project" not in page
    assert 'data-testid="recent-projects"' in page
    assert "Website" in page
    mine = page.split('data-testid="my-tasks"')[1]
    assert "Mine to do" in mine
    assert "Mine but done" not in mine
    assert "Alice&#x27;s" not in mine


# ---- Input that is not what a page expects -------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/projects/%00/", 404),
        ("/projects/WEB-1/", 404),
        ("/projects/web/", 200),  # a key as typed finds the project
        ("/projects/WEB/?q=%00", 400),
        ("/projects/WEB/?label=%00", 400),
        ("/projects/WEB/?page=%00", 200),
    ],
)
def test_odd_addresses_and_nul_bytes_get_a_404_or_a_form_error_never_a_500(
    client_on: ClientFactory, tenant: Tenant, web: Project, member: User, path: str, status: int
) -> None:
    assert client_on(tenant, member).get(path).status_code == status


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/projects/new/", {"name": "Nul\x00", "key": "AB"}),
        ("/projects/WEB/tasks/new/", {"project": "WEB", "title": "a\x00b", "status": "todo",
                                      "priority": "low"}),
        ("/labels/new/", {"name": "x\x00", "color": "#000000"}),
    ],
)  # fmt: skip
def test_a_nul_byte_in_a_form_is_a_field_error(
    client_on: ClientFactory, tenant: Tenant, web: Project, member: User, path: str,
    data: dict[str, str],
) -> None:  # fmt: skip
    response = client_on(tenant, member).post(path, data)

    assert response.status_code == 400
    assert "Null characters are not allowed." in _page(response)
