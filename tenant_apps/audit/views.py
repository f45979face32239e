from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.views.generic import ListView

from tenant_apps.audit.forms import AuditFilterForm
from tenant_apps.audit.models import AuditEntry
from tenants.access import TenantView
from tenants.roles import Permission


class AuditLogView(TenantView, ListView[AuditEntry]):
    """Who did what in this workspace, newest first, filtered by person and action."""

    required_permission = Permission.AUDIT_VIEW
    template_name = "audit/log.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[AuditEntry]:
        self.filters = AuditFilterForm(self.request.GET or None)
        entries = AuditEntry.objects.all()
        if self.filters.is_valid():
            if person := self.filters.cleaned_data["person"]:
                entries = entries.filter(actor_label=person)
            if action := self.filters.cleaned_data["action"]:
                entries = entries.filter(action=action)
        elif self.filters.is_bound:
            # A filter value that is not on offer: say so, and show nothing rather than all.
            return entries.none()
        return entries

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "filters": self.filters}
