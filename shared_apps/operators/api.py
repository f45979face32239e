"""The operator REST API, /api/platform/v1/ on the apex: provisioning and lifecycle for
automation. Operator tokens only (`Authorization: Bearer strata_op_...`); sessions do not
count, so a browser signed in to the console cannot be led into calling it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.http.response import HttpResponseBase
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.operators.models import OperatorToken
from shared_apps.operators.services import (
    actor_of,
    operator_token_authenticate,
    provision_for_customer,
)
from tenants import lifecycle, transfer
from tenants.models import Tenant, TenantStatus
from tenants.openapi import Links, links_add
from tenants.schemas import ProvisioningNotReadyError
from tenants.selectors import primary_host_of, tenants_for_operators
from tenants.serializers import StrictCharField, StrictModelSerializer
from tenants.slugs import SLUG_MAX_LENGTH


class TokenOperator:
    """The principal of a request made with an operator token."""

    is_authenticated = True
    is_active = True
    is_staff = False
    pk = None

    def __init__(self, token: OperatorToken) -> None:
        self.token = token

    def __str__(self) -> str:
        return f"operator API token {self.token.name} ({self.token.prefix})"


class OperatorTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[TokenOperator, OperatorToken] | None:
        scheme, _, credential = (
            get_authorization_header(request).decode(errors="replace").partition(" ")
        )
        if scheme.lower() != "bearer" or not credential.strip():
            return None
        token = operator_token_authenticate(credential.strip())
        if token is None:
            raise AuthenticationFailed(
                "This operator token is not valid, has expired or was revoked."
            )
        return TokenOperator(token), token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="strata-operator-api"'


class OperatorTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """How the OpenAPI document describes the token (drf-spectacular finds it by subclassing)."""

    target_class = OperatorTokenAuthentication
    name = "operatorToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An operator token: `manage.py operator_token create` or the console.",
        }


class HasOperatorToken(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.auth, OperatorToken)


class OperatorAPIView(APIView):
    authentication_classes = [OperatorTokenAuthentication]
    permission_classes = [HasOperatorToken]

    def actor(self) -> lifecycle.Actor:
        return actor_of(self.request._request)


class TenantPagination(LimitOffsetPagination):
    """?limit= (1 to 1000, 100 when not given) and ?offset= (0 to a billion). A value that is
    not a whole number in range is refused with a field error rather than silently replaced;
    an offset past PostgreSQL's bigint reached the database and was a 500."""

    default_limit = 100
    max_limit = 1000
    max_offset = 1_000_000_000  # far past any fleet, far below what OFFSET can take

    def get_limit(self, request: Request) -> int:
        return self._bounded(request, self.limit_query_param, 1, self.max_limit, self.default_limit)

    def get_offset(self, request: Request) -> int:
        return self._bounded(request, self.offset_query_param, 0, self.max_offset, 0)

    def _bounded(self, request: Request, name: str, low: int, high: int, default: int) -> int:
        raw = request.query_params.get(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise APIValidationError({name: [f"Give a whole number from {low} to {high:,}."]})
        return value

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit},
            self.offset_query_param: {"minimum": 0, "maximum": self.max_offset},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters


class TenantSerializer(StrictModelSerializer[Tenant]):
    primary_host = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(read_only=True)
    domains: serializers.RelatedField[Any, Any, Any] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="domain"
    )

    class Meta:
        model = Tenant
        fields = [
            "slug",
            "name",
            "status",
            "status_reason",
            "primary_host",
            "domains",
            "member_count",
            "created_at",
            "archived_at",
            "purge_after",
            "last_activity_at",
        ]
        read_only_fields = fields

    def get_primary_host(self, tenant: Tenant) -> str:
        return primary_host_of(tenant)


class TenantListQuery(serializers.Serializer[Any]):
    """The list's filters. Text only: a NUL character (which PostgreSQL text cannot hold) is
    a field error, not a database error."""

    status = serializers.ChoiceField(
        choices=TenantStatus.values,
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid_choice": f"Choose one of {', '.join(TenantStatus.values)}."},
    )
    search = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="name, subdomain or domain contains",
    )


class ProvisionSerializer(serializers.Serializer[Any]):
    slug = StrictCharField(max_length=SLUG_MAX_LENGTH)
    name = StrictCharField(max_length=100)
    owner_email = serializers.EmailField(max_length=254)


class ReasonSerializer(serializers.Serializer[Any]):
    reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


class RenameSerializer(serializers.Serializer[Any]):
    slug = StrictCharField(max_length=SLUG_MAX_LENGTH)


class PurgeSerializer(serializers.Serializer[Any]):
    confirm = StrictCharField(max_length=SLUG_MAX_LENGTH, help_text="the tenant's subdomain, again")


class OperatorErrorSerializer(serializers.Serializer[Any]):
    """A refusal that is no field error: `code` says which (for the schema only)."""

    detail = serializers.CharField()
    code = serializers.CharField()


_STATE = OpenApiResponse(
    OperatorErrorSerializer,
    description="The tenant's state does not allow this action (`code`: `state` or `purged`).",
)
_NOT_READY = OpenApiResponse(
    OperatorErrorSerializer,
    description="Provisioning is not ready yet: no blueprint schema (`code`: `not_ready`).",
)
# What each lifecycle action answers besides the errors every operation documents.
_AFTER_ACTION = {200: TenantSerializer, 409: _STATE}


def _tenant(slug: str) -> Tenant:
    tenant = tenants_for_operators().filter(slug=slug).first()
    if tenant is None:
        raise Http404
    return tenant


def _not_ready(exc: ProvisioningNotReadyError) -> Response:
    return Response({"detail": f"Provisioning is not ready: {exc}.", "code": "not_ready"}, 503)


def _refused(exc: ValidationError, field: str | None = None) -> Response:
    """A service's refusal as a 4xx: field errors for input, 409 for the tenant's state."""
    if getattr(exc, "code", None) in {"state", "purged"}:
        return Response({"detail": " ".join(exc.messages), "code": exc.code}, status=409)
    key = field or "non_field_errors"
    return Response({key: exc.messages}, status=status.HTTP_400_BAD_REQUEST)


class TenantListView(OperatorAPIView):
    # Read by drf-spectacular too: the schema documents the page envelope and limit/offset.
    pagination_class = TenantPagination

    @extend_schema(
        parameters=[TenantListQuery],
        responses=TenantSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = TenantListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        tenants = tenants_for_operators(
            search=query.validated_data["search"], status=query.validated_data["status"]
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(tenants, request, view=self)
        return paginator.get_paginated_response(TenantSerializer(page, many=True).data)

    @extend_schema(request=ProvisionSerializer, responses={201: TenantSerializer, 503: _NOT_READY})
    def post(self, request: Request) -> Response:
        data = ProvisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = provision_for_customer(
                slug=data.validated_data["slug"],
                name=data.validated_data["name"],
                owner_email=data.validated_data["owner_email"],
                request=request._request,
            )
        except ValidationError as exc:
            field = "slug" if exc.code in {"taken", "reserved", "invalid"} else None
            return _refused(exc, field)
        except ProvisioningNotReadyError as exc:
            return _not_ready(exc)
        return Response(TenantSerializer(_tenant(result.tenant.slug)).data, status=201)


class TenantDetailView(OperatorAPIView):
    @extend_schema(responses=TenantSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(TenantSerializer(_tenant(slug)).data)


class TenantActionView(OperatorAPIView):
    """POST one lifecycle action; the answer is the tenant as it is afterwards."""

    action_name = ""
    serializer: type[serializers.Serializer[Any]] | None = None

    def run(self, tenant: Tenant, data: dict[str, Any]) -> Tenant | None:
        raise NotImplementedError

    def post(self, request: Request, slug: str) -> Response:
        tenant = _tenant(slug)
        data: dict[str, Any] = {}
        if self.serializer is not None:
            checked = self.serializer(data=request.data)
            checked.is_valid(raise_exception=True)
            data = dict(checked.validated_data)
        try:
            after = self.run(tenant, data)
        except ValidationError as exc:
            return _refused(exc, "slug" if self.action_name == "rename" else None)
        if after is None:
            return Response(status=204)
        return Response(TenantSerializer(_tenant(after.slug)).data)


def _purge(tenant: Tenant, data: dict[str, Any], actor: lifecycle.Actor) -> None:
    if str(data["confirm"]).strip().lower() != tenant.slug:
        raise ValidationError(f"Send confirm={tenant.slug} to purge it.")
    lifecycle.tenant_purge(tenant, actor=actor)


class SuspendView(TenantActionView):
    action_name, serializer = "suspend", ReasonSerializer

    @extend_schema(request=ReasonSerializer, responses=_AFTER_ACTION, operation_id="suspend")
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)

    def run(self, tenant: Tenant, data: dict[str, Any]) -> Tenant | None:
        return lifecycle.tenant_suspend(tenant, reason=data["reason"], actor=self.actor())


class ReactivateView(TenantActionView):
    action_name = "reactivate"

    @extend_schema(request=None, responses=_AFTER_ACTION, operation_id="reactivate")
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)

    def run(self, tenant: Tenant, data: dict[str, Any]) -> Tenant | None:
        return lifecycle.tenant_reactivate(tenant, actor=self.actor())


class RenameView(TenantActionView):
    action_name, serializer = "rename", RenameSerializer

    @extend_schema(request=RenameSerializer, responses=_AFTER_ACTION, operation_id="rename")
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)

    def run(self, tenant: Tenant, data: dict[str, Any]) -> Tenant | None:
        return lifecycle.tenant_rename(tenant, new_slug=data["slug"], actor=self.actor())


class ArchiveView(TenantActionView):
    action_name, serializer = "archive", ReasonSerializer

    @extend_schema(request=ReasonSerializer, responses=_AFTER_ACTION, operation_id="archive")
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)

    def run(self, tenant: Tenant, data: dict[str, Any]) -> Tenant | None:
        return lifecycle.tenant_archive(tenant, reason=data["reason"], actor=self.actor())


class RestoreView(TenantActionView):
    action_name = "restore"

    @extend_schema(request=None, responses=_AFTER_ACTION, operation_id="restore")
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)

    def run(self, tenant: Tenant, data: dict[str, Any]) -> Tenant | None:
        return lifecycle.tenant_restore(tenant, actor=self.actor())


class PurgeView(TenantActionView):
    action_name, serializer = "purge", PurgeSerializer

    @extend_schema(
        request=PurgeSerializer, responses={204: None, 409: _STATE}, operation_id="purge"
    )
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)

    def run(self, tenant: Tenant, data: dict[str, Any]) -> Tenant | None:
        _purge(tenant, data, self.actor())
        return None


class ImportSerializer(serializers.Serializer[Any]):
    archive = serializers.FileField(help_text="a zip made by an export")
    slug = StrictCharField(max_length=SLUG_MAX_LENGTH)
    name = StrictCharField(max_length=100)
    owner_email = serializers.EmailField(max_length=254, required=False)


class ExportView(OperatorAPIView):
    @extend_schema(
        responses={(200, "application/zip"): OpenApiTypes.BINARY}, operation_id="tenant_export"
    )
    def get(self, request: Request, slug: str) -> HttpResponseBase:
        return transfer.export_download(_tenant(slug), actor=self.actor())


class ImportView(OperatorAPIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        responses={201: TenantSerializer, 503: _NOT_READY},
        operation_id="tenant_import",
    )
    def post(self, request: Request) -> Response:
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            summary = transfer.tenant_import(
                data.validated_data["archive"],
                slug=data.validated_data["slug"],
                name=data.validated_data["name"],
                owner_email=data.validated_data.get("owner_email"),
                actor=self.actor(),
            )
        except ValidationError as exc:
            field = "slug" if exc.code in {"taken", "reserved", "invalid"} else "archive"
            return _refused(exc, field)
        except ProvisioningNotReadyError as exc:
            return _not_ready(exc)
        return Response(TenantSerializer(_tenant(summary.tenant.slug)).data, status=201)


# --- OpenAPI links -----------------------------------------------------------------------------

_SLUG = {"slug": "$response.body#/slug"}

LINKS: Links = {
    "api_platform_v1_tenants_create": {
        "201": {
            "GetTenant": {"operationId": "api_platform_v1_tenants_retrieve", "parameters": _SLUG},
            "Suspend": {"operationId": "suspend", "parameters": _SLUG},
            "Archive": {"operationId": "archive", "parameters": _SLUG},
            "Rename": {"operationId": "rename", "parameters": _SLUG},
            "Export": {"operationId": "tenant_export", "parameters": _SLUG},
        }
    },
    "suspend": {"200": {"Reactivate": {"operationId": "reactivate", "parameters": _SLUG}}},
    "rename": {
        "200": {
            "GetTenant": {"operationId": "api_platform_v1_tenants_retrieve", "parameters": _SLUG}
        }
    },
    "archive": {
        "200": {
            "Restore": {"operationId": "restore", "parameters": _SLUG},
            "Purge": {
                "operationId": "purge",
                "parameters": _SLUG,
                "requestBody": {"confirm": "$response.body#/slug"},
            },
        }
    },
}


def document_links(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the operator API's links (a new tenant feeds its
    lifecycle actions; an archive, its purge with the confirmation)."""
    return links_add(result, LINKS)
