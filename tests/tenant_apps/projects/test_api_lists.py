"""Lists of /api/v1/: pages, every task filter alone and combined, search and ordering; bad
filter values are field errors (400), never a 500 or a silently unfiltered list."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from shared_apps.accounts.models import User
from tenant_apps.projects.models import Label
from tenant_apps.projects.services import (
    Actor,
    label_create,
    project_create,
    project_update,
    task_create,
)
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.conftest import ClientFactory
from tests.tenant_apps.projects.api_support import (
    LABELS,
    PROJECTS,
    TASKS,
    body,
    generous_api_rate,  # noqa: F401 - an autouse fixture
    references,
    rows,
    send,
)

# reference: title, description, status, priority, assignee (a persona), due date, labels
TASK_TABLE = {
    "WEB-1": ("Home page", "Hero and footer", "todo", "low", "member", "2026-03-01", "design"),
    "WEB-2": ("Pricing page", "", "in_progress", "urgent", "owner", "2026-01-15", "design backend"),
    "WEB-3": ("Checkout bug", "Payment fails on Safari", "in_review", "high", "", "", "backend"),
    "OPS-1": (
        "Backups",
        "Nightly, to the other region",
        "done",
        "medium",
        "member",
        "2026-02-10",
        "",
    ),
    "OPS-2": ("Rotate keys", "", "todo", "high", "", "2026-01-15", "security"),
}
ALL = ["OPS-1", "OPS-2", "WEB-1", "WEB-2", "WEB-3"]  # the default order: project key, number


@pytest.fixture
def work(tenant: Tenant, owner: User, member: User) -> dict[str, Any]:
    people = {"owner": owner, "member": member}
    actor = Actor(user=owner)
    with tenant_context(tenant):
        projects = {
            "WEB": project_create(
                name="Website", key="WEB", description="The public site", actor=actor
            ),
            "OPS": project_create(
                name="Operations", key="OPS", description="Servers and backups", actor=actor
            ),
            "OLD": project_create(name="Legacy portal", key="OLD", actor=actor),
        }
        project_update(project=projects["OLD"], archived=True, actor=actor)
        for name in ("design", "backend", "security"):
            label_create(name=name, actor=actor)
        for reference, row in TASK_TABLE.items():
            title, description, status, priority, assignee, due, labels = row
            task_create(
                tenant=tenant,
                project=projects[reference.split("-")[0]],
                title=title,
                description=description,
                status=status,
                priority=priority,
                assignee_id=people[assignee].pk if assignee else None,
                due_date=date.fromisoformat(due) if due else None,
                labels=list(Label.objects.filter(name__in=labels.split())),
                actor=actor,
            )
    return {"projects": projects, "people": people}


def test_the_task_list_in_its_default_order(
    client_on: ClientFactory, tenant: Tenant, viewer: User, work: dict[str, Any]
) -> None:
    listed = client_on(tenant, viewer).get(TASKS)

    assert references(listed) == ALL
    assert body(listed)["count"] == 5
    web2 = next(task for task in rows(listed) if task["reference"] == "WEB-2")
    assert (web2["labels"], web2["assignee"]) == (
        ["backend", "design"],
        str(work["people"]["owner"].public_id),
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"project": "WEB"}, ["WEB-1", "WEB-2", "WEB-3"]),
        ({"project": "OLD"}, []),
        ({"project": "00000000-0000-0000-0000-000000000000"}, []),
        ({"status": "todo"}, ["OPS-2", "WEB-1"]),
        ({"status": ["todo", "done"]}, ["OPS-1", "OPS-2", "WEB-1"]),
        ({"priority": "high"}, ["OPS-2", "WEB-3"]),
        ({"priority": ["high", "urgent"]}, ["OPS-2", "WEB-2", "WEB-3"]),
        ({"assignee": "member"}, ["OPS-1", "WEB-1"]),
        ({"assignee": "owner"}, ["WEB-2"]),
        ({"assignee": "viewer"}, []),
        ({"unassigned": "true"}, ["OPS-2", "WEB-3"]),
        ({"unassigned": "false"}, ["OPS-1", "WEB-1", "WEB-2"]),
        ({"label": "design"}, ["WEB-1", "WEB-2"]),
        ({"label": "backend"}, ["WEB-2", "WEB-3"]),
        ({"label": "nope"}, []),
        ({"due_after": "2026-02-10"}, ["OPS-1", "WEB-1"]),
        ({"due_before": "2026-01-15"}, ["OPS-2", "WEB-2"]),
        ({"due_after": "2026-01-15", "due_before": "2026-02-10"}, ["OPS-1", "OPS-2", "WEB-2"]),
        ({"due_after": "2026-03-02"}, []),
        # Combined
        ({"project": "WEB", "status": ["todo", "in_progress"]}, ["WEB-1", "WEB-2"]),
        ({"label": "backend", "priority": "high"}, ["WEB-3"]),
        ({"label": "design", "assignee": "member"}, ["WEB-1"]),
        ({"assignee": "member", "due_after": "2026-02-15"}, ["WEB-1"]),
        ({"project": "OPS", "unassigned": "true", "search": "rotate"}, ["OPS-2"]),
        ({"status": "todo", "priority": "urgent"}, []),
        # Search: title and description, any case
        ({"search": "page"}, ["WEB-1", "WEB-2"]),
        ({"search": "PAYMENT"}, ["WEB-3"]),
        ({"search": "other region"}, ["OPS-1"]),
        ({"search": "zebra"}, []),
    ],
)
def test_task_filters_alone_and_together(
    client_on: ClientFactory,
    tenant: Tenant,
    viewer: User,
    work: dict[str, Any],
    query: dict[str, Any],
    expected: list[str],
) -> None:
    query = dict(query)
    if "project" in query and query["project"] in work["projects"]:
        query["project"] = str(work["projects"][query["project"]].public_id)
    if "assignee" in query:
        persona = query["assignee"]
        query["assignee"] = str((work["people"].get(persona) or viewer).public_id)

    response = client_on(tenant, viewer).get(TASKS, query)

    assert response.status_code == 200, response.content
    assert references(response) == expected
    assert body(response)["count"] == len(expected)


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("priority_rank,title", ["WEB-1", "OPS-1", "WEB-3", "OPS-2", "WEB-2"]),
        ("-priority_rank,title", ["WEB-2", "WEB-3", "OPS-2", "OPS-1", "WEB-1"]),
        # Tasks without a due date come last going up, first going down.
        ("due_date,title", ["WEB-2", "OPS-2", "OPS-1", "WEB-1", "WEB-3"]),
        ("-due_date,title", ["WEB-3", "WEB-1", "OPS-1", "WEB-2", "OPS-2"]),
        ("title", ["OPS-1", "WEB-3", "WEB-1", "WEB-2", "OPS-2"]),
        ("-title", ["OPS-2", "WEB-2", "WEB-1", "WEB-3", "OPS-1"]),
        ("status,title", ["OPS-1", "WEB-2", "WEB-3", "WEB-1", "OPS-2"]),
        ("-number,title", ["WEB-3", "WEB-2", "OPS-2", "OPS-1", "WEB-1"]),
        ("bogus", ALL),
        ("assignee__email", ALL),  # only the listed fields order
    ],
)
def test_task_ordering(
    client_on: ClientFactory,
    tenant: Tenant,
    viewer: User,
    work: dict[str, Any],
    ordering: str,
    expected: list[str],
) -> None:
    response = client_on(tenant, viewer).get(TASKS, {"ordering": ordering})

    assert response.status_code == 200, response.content
    assert references(response) == expected


def test_a_filtered_search_orders_by_priority(
    client_on: ClientFactory, tenant: Tenant, viewer: User, work: dict[str, Any]
) -> None:
    response = client_on(tenant, viewer).get(
        TASKS, {"label": "backend", "search": "a", "ordering": "-priority_rank"}
    )

    assert references(response) == ["WEB-2", "WEB-3"]


def test_the_last_updated_task_comes_first_by_updated_at(
    client_on: ClientFactory, tenant: Tenant, member: User, work: dict[str, Any]
) -> None:
    client = client_on(tenant, member)
    ops1 = next(t for t in rows(client.get(TASKS)) if t["reference"] == "OPS-1")
    send(client, "PATCH", f"{TASKS}{ops1['id']}/", {"status": "todo", "expected_version": 1})

    assert references(client.get(TASKS, {"ordering": "-updated_at"}))[0] == "OPS-1"
    assert references(client.get(TASKS, {"ordering": "updated_at"}))[-1] == "OPS-1"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"status": ["todo", "bogus"]}, "status"),
        ({"priority": "whenever"}, "priority"),
        ({"due_after": "notadate"}, "due_after"),
        ({"due_before": "2026-13-01"}, "due_before"),
        ({"project": "notauuid"}, "project"),
        ({"assignee": "42"}, "assignee"),
        ({"unassigned": "maybe"}, "unassigned"),
    ],
)
def test_bad_filter_values_are_field_errors(
    client_on: ClientFactory,
    tenant: Tenant,
    viewer: User,
    work: dict[str, Any],
    query: dict[str, Any],
    field: str,
) -> None:
    response = client_on(tenant, viewer).get(TASKS, query)

    assert response.status_code == 400, response.content
    assert list(body(response)) == [field]
    assert body(response)[field][0]


def test_pages_follow_their_next_links_to_the_end(
    client_on: ClientFactory, tenant: Tenant, viewer: User, work: dict[str, Any]
) -> None:
    client = client_on(tenant, viewer)
    query: dict[str, Any] = {"page_size": 2, "status": ["todo", "done", "in_review"]}
    first = body(client.get(TASKS, query))

    assert (first["count"], len(first["results"]), first["previous"]) == (4, 2, None)
    link = urlsplit(first["next"])
    assert (link.path, parse_qs(link.query)) == (
        TASKS,
        {"page": ["2"], "page_size": ["2"], "status": ["todo", "done", "in_review"]},
    )
    seen = [t["reference"] for t in first["results"]]
    page = first
    while page["next"]:
        page = body(client.get(page["next"]))
        seen += [t["reference"] for t in page["results"]]
    assert seen == ["OPS-1", "OPS-2", "WEB-1", "WEB-3"]
    assert page["previous"] is not None
    assert client.get(TASKS, {"page": 99}).status_code == 404


def test_pages_are_50_by_default_and_200_at_most(
    client_on: ClientFactory, tenant: Tenant, viewer: User
) -> None:
    with tenant_context(tenant):
        Label.objects.bulk_create(Label(name=f"label-{n:03}") for n in range(205))
    client = client_on(tenant, viewer)

    default = body(client.get(LABELS))
    largest = body(client.get(LABELS, {"page_size": 200}))

    assert (default["count"], len(default["results"])) == (205, 50)
    assert default["results"][0]["name"] == "label-000"
    assert (len(largest["results"]), largest["results"][-1]["name"]) == (200, "label-199")
    assert body(client.get(largest["next"]))["results"][0]["name"] == "label-200"
    # Out of range is a field error (docs/api.md), never 1000 rows nor a silent 50.
    for size in (1000, 201, 0, -1, "many"):
        refused = client.get(LABELS, {"page_size": size})
        assert refused.status_code == 400, (size, refused.content)
        assert list(body(refused)) == ["page_size"]
    assert client.get(LABELS, {"page": 99}).status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["OLD", "OPS", "WEB"]),  # by name: Legacy portal, Operations, Website
        ({"archived": "true"}, ["OLD"]),
        ({"archived": "false"}, ["OPS", "WEB"]),
        ({"search": "backups"}, ["OPS"]),  # the description
        ({"search": "web"}, ["WEB"]),  # the key and the name
        ({"search": "portal", "archived": "false"}, []),
        ({"search": "zebra\x00"}, []),  # PostgreSQL text holds no NUL: no 500 either
        ({"ordering": "-key"}, ["WEB", "OPS", "OLD"]),
        ({"ordering": "key"}, ["OLD", "OPS", "WEB"]),
        ({"ordering": "-name"}, ["WEB", "OPS", "OLD"]),
    ],
)
def test_project_filters_search_and_ordering(
    client_on: ClientFactory,
    tenant: Tenant,
    viewer: User,
    work: dict[str, Any],
    query: dict[str, str],
    expected: list[str],
) -> None:
    response = client_on(tenant, viewer).get(PROJECTS, query)

    assert response.status_code == 200, response.content
    assert [p["key"] for p in rows(response)] == expected


def test_a_bad_archived_value_is_a_field_error(
    client_on: ClientFactory, tenant: Tenant, viewer: User, work: dict[str, Any]
) -> None:
    response = client_on(tenant, viewer).get(PROJECTS, {"archived": "maybe"})

    assert response.status_code == 400, response.content
    assert list(body(response)) == ["archived"]
