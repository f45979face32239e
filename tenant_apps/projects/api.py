"""The work tracker's REST API (/api/v1/): projects, tasks, labels, comments and attachments.

Viewers (and read-scoped API keys) read; members (and read-and-write keys) write, through the
same services as the pages, so every write is validated and audited the same way. Lists are
paginated, filtered with django-filter, searchable and orderable, and each runs a fixed number
of queries whatever the page size (tests/tenant_apps/projects/test_api_queries.py).
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, cast

from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Model, QuerySet, Value, When
from django.http import Http404
from django_filters import rest_framework as filters
from django_stubs_ext import StrOrPromise
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, parsers, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.filters import OrderingFilter, SearchFilter, search_smart_split
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from shared_apps.accounts.models import User
from tenant_apps.projects.downloads import attachment_response
from tenant_apps.projects.models import (
    Attachment,
    Comment,
    Label,
    Project,
    Task,
    TaskPriority,
    TaskStatus,
)
from tenant_apps.projects.services import (
    ATTACHMENT_MAX_BYTES,
    Actor,
    TaskConflictError,
    attachment_add,
    attachment_delete,
    comment_add,
    comment_delete,
    label_create,
    label_delete,
    may_remove,
    project_create,
    project_update,
    task_create,
    task_delete,
    task_update,
)
from tenants.access import TenantAPIView
from tenants.credentials import TenantCredential
from tenants.models import Membership, Tenant
from tenants.requests import TenantRequest
from tenants.roles import Permission
from tenants.serializers import StrictModelSerializer


class Pages(PageNumberPagination):
    """?page= and ?page_size= (1 to 200, 50 when not given). A page size that is not a whole
    number in range is refused with a field error rather than silently replaced."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if not raw:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise APIValidationError(
                {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(
                    minimum=1, maximum=self.max_page_size, default=self.page_size
                )
            elif parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1)
        return parameters


def _actor(request: Request) -> Actor:
    """The member, or the API key, behind the request (audit entries name either)."""
    if isinstance(request.auth, TenantCredential):
        return Actor(user=None, label=request.auth.label, request=request._request)
    user = request.user
    return Actor(user=user if isinstance(user, User) else None, request=request._request)


def _role(request: Request) -> str | None:
    """The member's role; None for an API key (which may remove only what managers may not)."""
    membership = getattr(request._request, "membership", None)
    return membership.role if isinstance(membership, Membership) else None


def _tenant(request: Request) -> Tenant:
    return cast(TenantRequest, request._request).tenant


def _service_errors(exc: ValidationError) -> APIValidationError:
    if hasattr(exc, "error_dict"):
        return APIValidationError(exc.message_dict)
    return APIValidationError({"non_field_errors": exc.messages})


class Search(SearchFilter):
    """?search= over the view's search_fields. A NUL character is dropped rather than refused:
    PostgreSQL text cannot hold one, so it can match nothing either way."""

    def get_search_terms(self, request: Request) -> list[str]:
        value = request.query_params.get(self.search_param, "").replace("\x00", "")
        terms: list[str] = search_smart_split(value)  # type: ignore[arg-type]  # stub is wrong
        return [term for term in terms if term]


class Ordering(OrderingFilter):
    """?ordering= over the view's ordering_fields, ties broken by creation order so that pages
    never overlap or skip rows."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> list[str]:
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not request.query_params.get(self.ordering_param) or {"pk", "-pk"} & set(ordering):
            return ordering  # nothing asked: the view's own order, unique already
        return [*ordering, "pk"]


class WorkViewSet(TenantAPIView):
    """Readable by everyone in the workspace, writable by members and read-and-write keys."""

    required_permission = Permission.WORKSPACE_VIEW
    write_permission = Permission.CONTENT_WRITE
    pagination_class: type[BasePagination] | None = Pages


# --- Projects ------------------------------------------------------------------------------


class ProjectSerializer(StrictModelSerializer[Project]):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Project
        fields = ["id", "key", "name", "description", "archived", "created_at", "updated_at"]
        # A project starts active; PATCH archives and restores it.
        read_only_fields = ["id", "archived", "created_at", "updated_at"]
        # The service says why a key is refused.
        extra_kwargs: ClassVar[dict[str, dict[str, Any]]] = {"key": {"validators": []}}


class ProjectUpdateSerializer(ProjectSerializer):
    class Meta(ProjectSerializer.Meta):
        read_only_fields = ["id", "key", "created_at", "updated_at"]


class TrueFalseFilter(filters.ChoiceFilter):
    """`true` or `false`, nothing else: django-filter's BooleanFilter reads any other value as
    "not given", which would hand back everything for a typo."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[("true", "true"), ("false", "false")], **kwargs)
        # The schema says what it reads, the strings `true` and `false`. Left to drf-spectacular,
        # a filter on a boolean field is typed boolean with these strings as its enum: a schema
        # no value satisfies.
        annotate: Any = extend_schema_field(  # typed for classes; an instance takes it too
            {"type": "string", "enum": ["true", "false"], "description": kwargs.get("help_text")}
        )
        annotate(self)

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value not in {"true", "false"}:
            return qs
        return qs.filter(**{f"{self.field_name}__{self.lookup_expr}": value == "true"})


class ProjectFilter(filters.FilterSet):
    archived = TrueFalseFilter(help_text="Only archived (true) or active (false) ones.")

    class Meta:
        model = Project
        fields = ["archived"]


@extend_schema(tags=["projects"])
class ProjectViewSet(
    WorkViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Project],
):
    """Projects. A project's key (WEB in WEB-12) is set once; archive a project instead of
    deleting it."""

    serializer_class = ProjectSerializer
    lookup_field = "public_id"
    lookup_value_converter = "uuid"
    queryset = Project.objects.order_by("name", "pk")
    filter_backends = [filters.DjangoFilterBackend, Search, Ordering]
    filterset_class = ProjectFilter
    search_fields = ["name", "key", "description"]
    ordering_fields = ["name", "key", "created_at", "updated_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self) -> type[ProjectSerializer]:
        if self.action == "partial_update":
            return ProjectUpdateSerializer
        return ProjectSerializer

    def perform_create(self, serializer: serializers.BaseSerializer[Project]) -> None:
        fields = serializer.validated_data
        try:
            serializer.instance = project_create(
                name=fields["name"],
                key=fields["key"],
                description=fields.get("description", ""),
                actor=_actor(self.request),
            )
        except ValidationError as exc:
            raise _service_errors(exc) from None

    def perform_update(self, serializer: serializers.BaseSerializer[Project]) -> None:
        fields = serializer.validated_data
        assert serializer.instance is not None  # noqa: S101 - an update has its instance
        try:
            serializer.instance = project_update(
                project=serializer.instance,
                name=fields.get("name"),
                description=fields.get("description"),
                archived=fields.get("archived"),
                actor=_actor(self.request),
            )
        except ValidationError as exc:
            raise _service_errors(exc) from None


# --- Tasks ---------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.UUID)
class MemberField(serializers.Field[int, Any, str, Any]):
    """A member of this workspace, by the user's public id (GET /api/v1/members/ lists them)."""

    default_error_messages: ClassVar[dict[str, StrOrPromise]] = {
        "invalid": "Give the id of a member (GET /api/v1/members/ lists them).",
        "not_member": "Assign the task to a member of this workspace.",
    }

    def to_representation(self, value: Any) -> str:
        # The assignee, from select_related (no query per row).
        return str(value.public_id)

    def to_internal_value(self, data: Any) -> int:
        try:
            public_id = uuid.UUID(str(data))
        except ValueError:
            self.fail("invalid")
        request = cast(Request, self.context["request"])
        user_id = (
            Membership.objects.filter(tenant=_tenant(request), user__public_id=public_id)
            .values_list("user_id", flat=True)
            .first()
        )
        if user_id is None:
            self.fail("not_member")
        return user_id


class LabelNameField(serializers.SlugRelatedField[Label]):
    """A label by its name. A name with a NUL cannot exist (PostgreSQL text holds none), so it
    is refused like any unknown name instead of reaching the database."""

    def to_internal_value(self, data: Any) -> Label:
        if "\x00" in str(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data))
        return super().to_internal_value(data)


class TaskSerializer(StrictModelSerializer[Task]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    project = serializers.SlugRelatedField(slug_field="public_id", queryset=Project.objects.all())
    reference = serializers.SerializerMethodField()
    assignee = MemberField(required=False, allow_null=True)
    labels = LabelNameField(
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

    # A task stays in its project. Declared again: read_only_fields does not reach a field
    # declared on the class, and a writable project here reached task_update (a 500).
    project = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    expected_version = serializers.IntegerField(
        write_only=True,
        min_value=1,
        help_text="The `version` of the task you read. If the task changed since, the update "
        "is refused with 409 and the current task, and nothing is saved.",
    )

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "expected_version"]


class VersionConflictSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    code = serializers.CharField()
    current = TaskSerializer()


def _columns(model: type[Model]) -> list[str]:
    return [field.name for field in model._meta.concrete_fields]


# What a task's representation reads of its relations: no other column of a person (their
# password hash, their email) or of the project leaves the database for a task list.
TASK_COLUMNS = [*_columns(Task), "project__key", "project__public_id", "assignee__public_id"]

PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for rank, value in enumerate(TaskPriority.values)),
    output_field=IntegerField(),
)


class TaskFilter(filters.FilterSet):
    project = filters.UUIDFilter(field_name="project__public_id", help_text="A project's id.")
    status = filters.MultipleChoiceFilter(
        choices=TaskStatus.choices, help_text="One or more (status=todo&status=done)."
    )
    priority = filters.MultipleChoiceFilter(choices=TaskPriority.choices)
    assignee = filters.UUIDFilter(
        field_name="assignee__public_id", help_text="A member's user id (from /members/)."
    )
    unassigned = TrueFalseFilter(
        field_name="assignee", lookup_expr="isnull", help_text="Only tasks nobody has (true)."
    )
    label = filters.CharFilter(
        field_name="labels__name", help_text="A label's name.", distinct=True
    )
    due_after = filters.DateFilter(
        field_name="due_date", lookup_expr="gte", label="Due on or after"
    )
    due_before = filters.DateFilter(
        field_name="due_date", lookup_expr="lte", label="Due on or before"
    )

    class Meta:
        model = Task
        fields = ["project", "status", "priority", "assignee", "unassigned", "label"]


@extend_schema(tags=["tasks"])
class TaskViewSet(
    WorkViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Task],
):
    """Tasks. Updates are PATCH with `expected_version` (optimistic concurrency)."""

    serializer_class = TaskSerializer
    lookup_field = "public_id"
    lookup_value_converter = "uuid"
    filter_backends = [filters.DjangoFilterBackend, Search, Ordering]
    filterset_class = TaskFilter
    search_fields = ["title", "description"]
    ordering_fields = [
        "number", "title", "status", "priority_rank", "due_date", "created_at", "updated_at",
    ]  # fmt: skip
    ordering = ["project__key", "number"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Task]:
        return (
            Task.objects.select_related("project", "assignee")
            .only(*TASK_COLUMNS)
            .prefetch_related("labels")
            .annotate(priority_rank=PRIORITY_RANK)
        )

    @extend_schema(request=TaskSerializer, responses={201: TaskSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = TaskSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        try:
            task = task_create(
                tenant=_tenant(request),
                project=fields["project"],
                title=fields["title"],
                description=fields.get("description", ""),
                status=fields.get("status", TaskStatus.TODO),
                priority=fields.get("priority", TaskPriority.MEDIUM),
                assignee_id=fields.get("assignee"),
                due_date=fields.get("due_date"),
                labels=fields.get("labels"),
                actor=_actor(request),
            )
        except ValidationError as exc:
            raise _service_errors(exc) from None
        return Response(self._show(task), status=201)

    @extend_schema(
        request=TaskUpdateSerializer,
        responses={200: TaskSerializer, 409: VersionConflictSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = self.get_object()
        data = TaskUpdateSerializer(
            task, data=request.data, partial=True, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "expected_version" not in fields:
            raise APIValidationError({"expected_version": ["Send the version you read."]})
        expected = fields.pop("expected_version")
        labels = fields.pop("labels", None)
        if "assignee" in fields:
            fields["assignee_id"] = fields.pop("assignee")
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
                    "current": self._show(conflict.current),
                },
                status=409,
            )
        except ValidationError as exc:
            raise _service_errors(exc) from None
        return Response(self._show(updated))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task_delete(task=self.get_object(), actor=_actor(request))
        return Response(status=204)

    def _show(self, task: Task) -> dict[str, Any]:
        fresh = self.get_queryset().get(pk=task.pk)
        return cast(
            dict[str, Any], TaskSerializer(fresh, context=self.get_serializer_context()).data
        )


def _task_or_404(task_public_id: uuid.UUID) -> Task:
    task = Task.objects.select_related("project").filter(public_id=task_public_id).first()
    if task is None:
        raise Http404
    return task


class OnTask(WorkViewSet):
    """A collection under /tasks/<task id>/: the task is looked up once, right after the access
    checks (so an outsider learns nothing from a 404) and before the body is read (so a
    missing task is a 404 whatever the body)."""

    task: Task

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.task = _task_or_404(self.kwargs["task_public_id"])


# --- Labels --------------------------------------------------------------------------------


class LabelSerializer(StrictModelSerializer[Label]):
    class Meta:
        model = Label
        fields = ["id", "name", "color"]
        # The service reports a taken name in its own words.
        extra_kwargs: ClassVar[dict[str, dict[str, Any]]] = {"name": {"validators": []}}


@extend_schema(tags=["labels"])
class LabelViewSet(
    WorkViewSet,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Label],
):
    serializer_class = LabelSerializer
    queryset = Label.objects.order_by("name")
    lookup_value_converter = "int"
    filter_backends = [Search]
    search_fields = ["name"]

    def perform_create(self, serializer: serializers.BaseSerializer[Label]) -> None:
        fields = serializer.validated_data
        try:
            serializer.instance = label_create(
                name=fields["name"],
                color=fields.get("color", "#6172f3"),
                actor=_actor(self.request),
            )
        except ValidationError as exc:
            raise _service_errors(exc) from None

    def perform_destroy(self, instance: Label) -> None:
        label_delete(label=instance, actor=_actor(self.request))


# --- Comments ------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.UUID)
class PersonField(serializers.Field[Any, Any, str | None, Any]):
    """A person's public id from a select_related user (None: an API key, or nobody)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value: Any) -> str | None:
        return str(value.public_id) if value is not None else None


class CommentSerializer(StrictModelSerializer[Comment]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    author = PersonField(help_text="The author's user id; null when an API key wrote it.")

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


@extend_schema(tags=["comments"])
class TaskCommentViewSet(
    OnTask,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Comment],
):
    """/api/v1/tasks/<task id>/comments/: read by anyone in the workspace, added by members,
    removed by their author or an admin."""

    serializer_class = CommentSerializer
    lookup_field = "public_id"

    def get_queryset(self) -> QuerySet[Comment]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the types
            return Comment.objects.none()
        return (
            Comment.objects.filter(task=self.task)
            .select_related("author")
            .only(*_columns(Comment), "author__public_id")
            .order_by("created_at", "pk")
        )

    def perform_create(self, serializer: serializers.BaseSerializer[Comment]) -> None:
        try:
            serializer.instance = comment_add(
                task=self.task,
                body=serializer.validated_data["body"],
                actor=_actor(self.request),
            )
        except ValidationError as exc:
            raise _service_errors(exc) from None

    def perform_destroy(self, instance: Comment) -> None:
        actor = _actor(self.request)
        if not may_remove(owner_id=instance.author_id, actor=actor, role=_role(self.request)):
            raise PermissionDenied("Only its author or an admin may remove a comment.")
        comment_delete(comment=instance, actor=actor)


# --- Attachments ---------------------------------------------------------------------------


class AttachmentSerializer(StrictModelSerializer[Attachment]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    uploaded_by = PersonField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "content_type", "uploaded_by", "created_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment: Attachment) -> str:
        task, own = attachment.task.public_id, attachment.public_id
        return f"/api/v1/tasks/{task}/attachments/{own}/download/"


class AttachmentUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(
        help_text=f"The file (multipart/form-data), at most {ATTACHMENT_MAX_BYTES // 2**20} MB."
    )


@extend_schema(tags=["attachments"])
class TaskAttachmentViewSet(
    OnTask,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Attachment],
):
    """/api/v1/tasks/<task id>/attachments/: files on a task. Downloads are always served as
    attachments (never rendered inline), to members and keys of this workspace only."""

    serializer_class = AttachmentSerializer
    lookup_field = "public_id"
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    def get_queryset(self) -> QuerySet[Attachment]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the types
            return Attachment.objects.none()
        return (
            Attachment.objects.filter(task=self.task)
            .select_related("uploaded_by", "task")
            .only(*_columns(Attachment), "uploaded_by__public_id", "task__public_id")
            .order_by("created_at", "pk")
        )

    @extend_schema(request=AttachmentUploadSerializer, responses={201: AttachmentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            attachment = attachment_add(
                tenant=_tenant(request),
                task=self.task,
                upload=upload.validated_data["file"],
                actor=_actor(request),
            )
        except ValidationError as exc:
            raise _service_errors(exc) from None
        shown = self.get_queryset().get(pk=attachment.pk)
        return Response(AttachmentSerializer(shown).data, status=201)

    def perform_destroy(self, instance: Attachment) -> None:
        actor = _actor(self.request)
        if not may_remove(owner_id=instance.uploaded_by_id, actor=actor, role=_role(self.request)):
            raise PermissionDenied("Only its uploader or an admin may remove an attachment.")
        attachment_delete(attachment=instance, actor=actor)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return attachment_response(self.get_object())
