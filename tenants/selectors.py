from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet

from tenants.hosts import primary_host_for_slug
from tenants.models import Domain, Membership, Tenant, TenantStatus


@dataclass(frozen=True)
class Workspace:
    tenant: Tenant
    role: str
    host: str


def membership_for(*, user: AbstractBaseUser | AnonymousUser, tenant: Tenant) -> Membership | None:
    """The user's membership of `tenant`, or None. Staff and superusers get no exception."""
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user_id=user.pk, tenant_id=tenant.pk).first()


def primary_host_of(tenant: Tenant) -> str:
    host = (
        Domain.objects.filter(tenant=tenant, is_primary=True)
        .values_list("domain", flat=True)
        .first()
    )
    return host or primary_host_for_slug(tenant.slug)


def member_tenant_by_slug(*, user: AbstractBaseUser, slug: str) -> Tenant | None:
    """The active tenant `slug` names, if `user` is a member of it; else None."""
    return Tenant.objects.filter(
        slug=slug, status=TenantStatus.ACTIVE, memberships__user_id=user.pk
    ).first()


def workspaces_of(user: AbstractBaseUser) -> list[Workspace]:
    """The open workspaces `user` belongs to, with their role and primary host (two queries)."""
    memberships = list(
        Membership.objects.filter(user_id=user.pk, tenant__status=TenantStatus.ACTIVE)
        .select_related("tenant")
        .order_by("tenant__name")
    )
    hosts = dict(
        Domain.objects.filter(
            tenant_id__in=[m.tenant_id for m in memberships], is_primary=True
        ).values_list("tenant_id", "domain")
    )
    return [
        Workspace(
            tenant=m.tenant,
            role=m.get_role_display(),
            host=hosts.get(m.tenant_id) or primary_host_for_slug(m.tenant.slug),
        )
        for m in memberships
    ]


def tenants_for_operators(*, search: str = "", status: str = "") -> QuerySet[Tenant]:
    """Tenants with their member counts, by name, subdomain or any domain, and by status:
    what the operator console and the operator API list."""
    tenants = Tenant.objects.annotate(member_count=Count("memberships", distinct=True))
    search = search.strip()[:200]
    if search:
        tenants = tenants.filter(
            Q(name__icontains=search)
            | Q(slug__icontains=search)
            | Q(domains__domain__icontains=search)
        ).distinct()
    if status:
        tenants = tenants.filter(status=status)
    return tenants.prefetch_related("domains").order_by("slug")
