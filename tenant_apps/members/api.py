from __future__ import annotations

from typing import cast

from django.db.models import QuerySet
from rest_framework import generics, serializers

from tenants.access import TenantAPIView
from tenants.models import Membership
from tenants.requests import TenantRequest


class MemberSerializer(serializers.ModelSerializer[Membership]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    user = serializers.UUIDField(
        source="user.public_id",
        read_only=True,
        help_text="The person's user id: what a task's `assignee` takes.",
    )
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "email", "name", "role", "joined_at"]


class MemberList(TenantAPIView, generics.ListAPIView[Membership]):
    """The workspace's members (any member may read it)."""

    serializer_class = MemberSerializer

    def get_queryset(self) -> QuerySet[Membership]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the types
            return Membership.objects.none()
        tenant = cast(TenantRequest, self.request._request).tenant
        return (
            Membership.objects.filter(tenant=tenant)
            .select_related("user")
            .order_by("created_at", "pk")
        )
