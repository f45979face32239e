"""The work tracker's REST API (/api/v1/), starting with projects. Viewers read; members and
above write (TenantAPIView's write_permission)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from shared_apps.accounts.models import User
from tenant_apps.projects.models import Project
from tenant_apps.projects.services import Actor, project_create
from tenants.access import TenantAPIView
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
