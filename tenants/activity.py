"""When a tenant was last used, for operators: the last sign-in on one of its hosts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest
from django.utils import timezone

from tenants.models import Tenant


def _signed_in(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    tenant = getattr(request, "tenant", None)
    if isinstance(tenant, Tenant):
        # update(): no model signals, so the route cache is not invalidated for this.
        Tenant.objects.filter(pk=tenant.pk).update(last_activity_at=timezone.now())


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="tenants-last-activity")
