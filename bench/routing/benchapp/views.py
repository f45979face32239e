from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from rest_framework import generics

from bench.routing.benchapp.models import Item
from bench.routing.benchapp.serializers import ItemSerializer


def ping(request: HttpRequest) -> JsonResponse:
    """Touches no table: whatever SQL a request to it costs, the routing issued."""
    return JsonResponse({"status": "ok", "service": "bench"})


class ItemList(generics.ListAPIView[Item]):
    """One query, no pagination: the smallest realistic API read."""

    serializer_class = ItemSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Item]:
        return Item.objects.order_by("id")


def workspace(request: HttpRequest) -> JsonResponse:
    """What a workspace page reads from its tenant's own tables (bench/scale): the projects, the
    latest tasks with their project, assignee and labels. Only the tenant variants serve it."""
    from tenant_apps.projects.models import Project, Task  # not installed in the plain variant

    tasks = Task.objects.select_related("project", "assignee").prefetch_related("labels")
    latest = [
        {
            "ref": f"{task.project.key}-{task.number}",
            "assignee": task.assignee_id,
            "labels": [label.name for label in task.labels.all()],
        }
        for task in tasks.order_by("-id")[:10]
    ]
    return JsonResponse({"projects": Project.objects.count(), "latest": latest})
