"""`Authorization: Bearer <API key>` for the tenant API (DRF authentication)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from billing.catalog import Feature
from billing.entitlements import check_feature
from tenant_apps.api_access.models import ApiKey, Scope
from tenant_apps.api_access.services import ApiKeyRefusedError, api_key_authenticate
from tenants.credentials import TenantCredential
from tenants.observability import bind
from tenants.requests import RoutedRequest
from tenants.roles import Permission

SCOPE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Scope.READ: frozenset({Permission.WORKSPACE_VIEW}),
    Scope.READ_WRITE: frozenset({Permission.WORKSPACE_VIEW, Permission.CONTENT_WRITE}),
}


@dataclass(frozen=True)
class ApiKeyCredential(TenantCredential):
    """request.auth of a request made with an API key. A key never manages members, keys,
    settings or billing, whatever its scope."""

    schema_name: str
    label: str
    key: ApiKey = field(compare=False)

    def grants(self, permission: Permission) -> bool:
        return permission in SCOPE_PERMISSIONS.get(self.key.scope, frozenset())


class ApiKeyUser:
    """request.user of a request made with an API key: authenticated, but nobody. Services
    see Actor(user=None, label=<the key>)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, credential: ApiKeyCredential) -> None:
        self.credential = credential

    def __str__(self) -> str:
        return self.credential.label


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ApiKeyUser, ApiKeyCredential] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: the session may authenticate the request
        tenant = cast(RoutedRequest, request._request).tenant
        if tenant is None:
            raise AuthenticationFailed(
                "API keys work on the workspace's own host, such as acme.example.com."
            )
        if len(parts) != 2:
            raise AuthenticationFailed("Send the key as `Authorization: Bearer <key>`.")
        try:
            presented = parts[1].decode("ascii")
            key = api_key_authenticate(tenant=tenant, presented=presented, request=request._request)
        except UnicodeDecodeError:
            raise AuthenticationFailed("That is not a Strata API key.") from None
        except ApiKeyRefusedError as refused:
            raise AuthenticationFailed(str(refused)) from None
        # A real key of a workspace whose plan has no API access (it was made on a plan that
        # had it): 402 plan_feature, from the API's exception handler, rather than 401.
        check_feature(tenant, Feature.API_ACCESS)
        bind(api_key=key.prefix)  # the key's visible prefix, never the secret
        credential = ApiKeyCredential(schema_name=tenant.schema_name, label=str(key), key=key)
        return ApiKeyUser(credential), credential

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return f'{self.keyword} realm="api"'
