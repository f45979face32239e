"""The baseline's task list: TaskViewSet's list path from tenant_apps/projects/api.py, copied.

The same queryset (select_related with only(), prefetch, the priority-rank annotation),
filter backends and FilterSet, search and ordering fields, default ordering, serializer fields
and pagination: Pages, Search, Ordering, TrueFalseFilter and LabelNameField are copies of the
classes there, without their docstrings and schema hooks; keep them in step when the real API
changes. What it lacks is what the benchmark measures: tenancy, authentication, permissions
and throttling (the settings give DRF none of them).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django_filters import rest_framework as filters
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.filters import OrderingFilter, SearchFilter, search_smart_split
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from bench.api import dataset
from bench.api.taskapp.models import Label, Project, Task

TASK_COLUMNS = [
    *(field.name for field in Task._meta.concrete_fields),
    "project__key",
    "project__public_id",
    "assignee__public_id",
]
STATUS_CHOICES = [(value, value) for value in dataset.STATUSES]
PRIORITY_CHOICES = [(value, value) for value in dataset.PRIORITIES]


class Pages(PageNumberPagination):
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


class Search(SearchFilter):
    def get_search_terms(self, request: Request) -> list[str]:
        value = request.query_params.get(self.search_param, "").replace("\x00", "")
        terms: list[str] = search_smart_split(value)  # type: ignore[arg-type]  # stub is wrong
        return [term for term in terms if term]


class Ordering(OrderingFilter):
    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> list[str]:
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not request.query_params.get(self.ordering_param) or {"pk", "-pk"} & set(ordering):
            return ordering
        return [*ordering, "pk"]


class TrueFalseFilter(filters.ChoiceFilter):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[("true", "true"), ("false", "false")], **kwargs)

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value not in {"true", "false"}:
            return qs
        return qs.filter(**{f"{self.field_name}__{self.lookup_expr}": value == "true"})


class PersonField(serializers.Field[int, Any, str, Any]):
    """Strata's MemberField, read side: the assignee's public id, from select_related."""

    def to_representation(self, value: Any) -> str:
        return str(value.public_id)

    def to_internal_value(self, data: Any) -> int:
        raise NotImplementedError("the baseline only lists")


class LabelNameField(serializers.SlugRelatedField[Label]):
    def to_internal_value(self, data: Any) -> Label:
        if "\x00" in str(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data))
        return super().to_internal_value(data)


class TaskSerializer(serializers.ModelSerializer[Task]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    project = serializers.SlugRelatedField(slug_field="public_id", queryset=Project.objects.all())
    reference = serializers.SerializerMethodField()
    assignee = PersonField(required=False, allow_null=True)
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


PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for rank, value in enumerate(dataset.PRIORITIES)),
    output_field=IntegerField(),
)


class TaskFilter(filters.FilterSet):
    project = filters.UUIDFilter(field_name="project__public_id")
    status = filters.MultipleChoiceFilter(choices=STATUS_CHOICES)
    priority = filters.MultipleChoiceFilter(choices=PRIORITY_CHOICES)
    assignee = filters.UUIDFilter(field_name="assignee__public_id")
    unassigned = TrueFalseFilter(field_name="assignee", lookup_expr="isnull")
    label = filters.CharFilter(field_name="labels__name", distinct=True)
    due_after = filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Task
        fields = ["project", "status", "priority", "assignee", "unassigned", "label"]


class TaskViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Task]):
    serializer_class = TaskSerializer
    pagination_class = Pages
    lookup_field = "public_id"
    lookup_value_converter = "uuid"
    filter_backends = [filters.DjangoFilterBackend, Search, Ordering]
    filterset_class = TaskFilter
    search_fields = ["title", "description"]
    ordering_fields = [
        "number", "title", "status", "priority_rank", "due_date", "created_at", "updated_at",
    ]  # fmt: skip
    ordering = ["project__key", "number"]
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[Task]:
        tasks: QuerySet[Task] = (
            Task.objects.select_related("project", "assignee")
            .only(*TASK_COLUMNS)
            .prefetch_related("labels")
            .annotate(priority_rank=PRIORITY_RANK)
        )
        return tasks
