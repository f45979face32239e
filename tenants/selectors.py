from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from tenants.models import Membership, Tenant, TenantStatus


def membership_for(*, user: AbstractBaseUser | AnonymousUser, tenant: Tenant) -> Membership | None:
    """The user's membership of `tenant`, or None. Staff and superusers get no exception."""
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user_id=user.pk, tenant_id=tenant.pk).first()


def memberships_of(user: AbstractBaseUser) -> QuerySet[Membership]:
    """The user's memberships of workspaces that are open, with their tenants."""
    return (
        Membership.objects.filter(user_id=user.pk, tenant__status=TenantStatus.ACTIVE)
        .select_related("tenant")
        .order_by("tenant__name")
    )
