from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView

from tenants.access import TenantView


class DashboardView(TenantView, TemplateView):
    """The first page after signing in: which workspace this is and who you are in it."""

    template_name = "workspace/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["member_count"] = self.tenant.memberships.count()
        return context
