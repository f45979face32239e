"""The work tracker's REST API (/api/v1/), starting with projects. Viewers read; members and
above write (TenantAPIView's write_permission)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, cast

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from shared_apps.accounts.models import User
from tenant_apps.projects.models import Comment, Label, Project, Task
from tenant_apps.projects.services import (
    Actor,
    TaskConflictError,
    comment_add,
    project_create,
    task_create,
    task_delete,
    task_update,
)
from tenants.access import TenantAPIView
from tenants.models import Tenant
from tenants.requests import TenantRequest
from tenants.roles import Permission


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ProjectSerializer(serializers.ModelSerializer[Project]):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Project
        fields = ["id", "key", "name", "description", "archived", "created_at", "updated_at"]
        read_only_fields = ["id", "archived", "created_at", "updated_at"]
        # The service says why a key is refused.
        extra_kwargs: ClassVar[dict[str, dict[str, Any]]] = {"key": {"validators": []}}


def _actor(request: Request) -> Actor:
    user = request.user
    return Actor(user=user if isinstance(user, User) else None, request=request._request)


class ProjectViewSet(
    TenantAPIView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Project],
):
    required_permission = Permission.WORKSPACE_VIEW
    write_permission = Permission.CONTENT_WRITE
    serializer_class = ProjectSerializer
    pagination_class = Pages
    lookup_field = "public_id"

    def get_queryset(self) -> QuerySet[Project]:
        projects = Project.objects.order_by("name", "pk")
        archived = self.request.query_params.get("archived")
        if archived in {"true", "false"}:
            projects = projects.filter(archived=archived == "true")
        return projects

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ProjectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            project = project_create(
                name=data.validated_data["name"],
                key=data.validated_data["key"],
                description=data.validated_data.get("description", ""),
                actor=_actor(request),
            )
        except ValidationError as exc:
            raise APIValidationError(exc.message_dict) from None
        return Response(ProjectSerializer(project).data, status=201)


class TaskSerializer(serializers.ModelSerializer[Task]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    project = serializers.SlugRelatedField(slug_field="public_id", queryset=Project.objects.all())
    reference = serializers.SerializerMethodField()
    assignee = serializers.IntegerField(source="assignee_id", required=False, allow_null=True)
    labels = serializers.SlugRelatedField(
        slug_field="name", many=True, required=False, queryset=Label.objects.all()
    )

    class Meta:
        model = Task
        fields = [
            "id", "reference", "project", "number", "title", "description", "status",
            "priority", "assignee", "due_date", "labels", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "number", "version", "created_at", "updated_at"]

    def get_reference(self, task: Task) -> str:
        return f"{task.project.key}-{task.number}"


class TaskUpdateSerializer(TaskSerializer):
    """An update names the version it was based on; a stale one gets 409 and changes nothing."""

    expected_version = serializers.IntegerField(write_only=True, min_value=1)

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "expected_version"]
        read_only_fields = [*TaskSerializer.Meta.read_only_fields, "project"]


class TaskViewSet(
    TenantAPIView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Task],
):
    required_permission = Permission.WORKSPACE_VIEW
    write_permission = Permission.CONTENT_WRITE
    serializer_class = TaskSerializer
    pagination_class = Pages
    lookup_field = "public_id"

    def get_queryset(self) -> QuerySet[Task]:
        tasks = Task.objects.select_related("project").prefetch_related("labels")
        params = self.request.query_params
        if params.get("project"):
            tasks = tasks.filter(project__public_id=_uuid_or_400("project", params["project"]))
        if params.get("status"):
            tasks = tasks.filter(status=params["status"])
        return tasks.order_by("project__key", "number")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = TaskSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        try:
            task = task_create(
                tenant=_tenant(request),
                project=fields["project"],
                title=fields["title"],
                description=fields.get("description", ""),
                status=fields.get("status", "todo"),
                priority=fields.get("priority", "medium"),
                assignee_id=fields.get("assignee_id"),
                due_date=fields.get("due_date"),
                labels=fields.get("labels"),
                actor=_actor(request),
            )
        except ValidationError as exc:
            raise APIValidationError(exc.message_dict) from None
        return Response(TaskSerializer(task).data, status=201)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = self.get_object()
        data = TaskUpdateSerializer(task, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "expected_version" not in fields:
            raise APIValidationError({"expected_version": ["Send the version you read."]})
        expected = fields.pop("expected_version")
        labels = fields.pop("labels", None)
        try:
            updated = task_update(
                tenant=_tenant(request),
                task=task,
                expected_version=expected,
                changes=fields,
                labels=labels,
                actor=_actor(request),
            )
        except TaskConflictError as conflict:
            return Response(
                {
                    "detail": "The task changed since you read it; nothing was saved.",
                    "code": "version_conflict",
                    "current": TaskSerializer(conflict.current).data,
                },
                status=409,
            )
        except ValidationError as exc:
            raise APIValidationError(exc.message_dict) from None
        return Response(TaskSerializer(updated).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task_delete(task=self.get_object(), actor=_actor(request))
        return Response(status=204)


def _tenant(request: Request) -> Tenant:
    return cast(TenantRequest, request._request).tenant


def _uuid_or_400(field: str, value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise APIValidationError({field: ["Give a project id (a UUID)."]}) from None


class LabelSerializer(serializers.ModelSerializer[Label]):
    class Meta:
        model = Label
        fields = ["id", "name", "color"]


class LabelViewSet(
    TenantAPIView,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Label],
):
    """Labels are plain rows: the serializer's validation (unique name, colour) is the rule."""

    required_permission = Permission.WORKSPACE_VIEW
    write_permission = Permission.CONTENT_WRITE
    serializer_class = LabelSerializer
    pagination_class = Pages
    queryset = Label.objects.order_by("name")


class CommentSerializer(serializers.ModelSerializer[Comment]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    author = serializers.IntegerField(source="author_id", read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class TaskCommentViewSet(
    TenantAPIView,
    mixins.ListModelMixin,
    viewsets.GenericViewSet[Comment],
):
    """/api/v1/tasks/<task id>/comments/: read by anyone in the workspace, added by members."""

    required_permission = Permission.WORKSPACE_VIEW
    write_permission = Permission.CONTENT_WRITE
    serializer_class = CommentSerializer
    pagination_class = Pages

    def task(self) -> Task:
        task_id = _uuid_or_400("task", str(self.kwargs["task_public_id"]))
        task = Task.objects.select_related("project").filter(public_id=task_id).first()
        if task is None:
            raise Http404
        return task

    def get_queryset(self) -> QuerySet[Comment]:
        return Comment.objects.filter(task=self.task()).order_by("created_at", "pk")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            comment = comment_add(
                task=self.task(), body=data.validated_data["body"], actor=_actor(request)
            )
        except ValidationError as exc:
            raise APIValidationError(exc.message_dict) from None
        return Response(CommentSerializer(comment).data, status=201)
