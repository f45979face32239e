from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.generic import ListView

from billing.catalog import Feature
from billing.entitlements import feature_refusal
from tenant_apps.audit.forms import AuditFilterForm
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenant_apps.audit.services import audit_record
from tenants.access import TenantView
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.roles import Permission

# Rows read per query while the export streams.
EXPORT_CHUNK = 1000
EXPORT_COLUMNS = ("When (UTC)", "Who", "Action", "What", "Target", "Details", "From")
_EXPORT_FIELDS = (
    "pk",
    "created_at",
    "actor_label",
    "action",
    "target_label",
    "details",
    "ip_address",
)
# A cell starting with one of these is a formula to a spreadsheet: the export quotes it.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def filtered_entries(filters: AuditFilterForm) -> QuerySet[AuditEntry]:
    """The entries the filter form selects (nothing for a filter that is not on offer)."""
    entries = AuditEntry.objects.all()
    if filters.is_valid():
        if person := filters.cleaned_data["person"]:
            entries = entries.filter(actor_label=person)
        if action := filters.cleaned_data["action"]:
            entries = entries.filter(action=action)
    elif filters.is_bound:
        # A filter value that is not on offer: say so, and show nothing rather than all.
        return entries.none()
    return entries


class AuditLogView(TenantView, ListView[AuditEntry]):
    """Who did what in this workspace, newest first, filtered by person and action."""

    required_permission = Permission.AUDIT_VIEW
    template_name = "audit/log.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[AuditEntry]:
        self.filters = AuditFilterForm(self.request.GET or None)
        return filtered_entries(self.filters)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "filters": self.filters,
            "export_refusal": feature_refusal(self.tenant, Feature.AUDIT_EXPORT),
        }


class _Echo:
    """A file that hands back what is written: csv.writer making one line at a time."""

    def write(self, value: str) -> str:
        return value


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _action_label(code: str) -> str:
    try:
        return str(AuditAction(code).label)
    except ValueError:
        return code


def _csv_lines(tenant: Tenant, entries: QuerySet[AuditEntry]) -> Iterator[str]:
    """The export, a chunk of rows per query, newest first (keyset pagination: each chunk
    starts after the last row of the one before, so a long log streams in steady steps)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    after: tuple[datetime, int] | None = None
    while True:
        page = entries.order_by("-created_at", "-pk")
        if after is not None:
            page = page.filter(Q(created_at__lt=after[0]) | Q(created_at=after[0], pk__lt=after[1]))
        # Read in the workspace's schema whenever the server pulls the next chunk.
        with tenant_context(tenant):
            chunk = list(page.values_list(*_EXPORT_FIELDS)[:EXPORT_CHUNK])
        for pk, created_at, actor, action, target, details, ip in chunk:
            yield writer.writerow(
                [
                    created_at.astimezone(UTC).isoformat(timespec="seconds"),
                    _cell(actor),
                    action,
                    _action_label(action),
                    _cell(target),
                    _cell(_details(details)),
                    ip or "",
                ]
            )
            after = (created_at, pk)
        if len(chunk) < EXPORT_CHUNK:
            return


def _details(details: Any) -> str:
    if not details:
        return ""
    if isinstance(details, dict):
        return "; ".join(f"{key}: {value}" for key, value in details.items())
    return str(details)


class AuditExportView(TenantView):
    """The audit log as a CSV download, filtered like the page (?person=&action=). Part of
    the plans with Feature.AUDIT_EXPORT; on others, a page that says which plan has it."""

    required_permission = Permission.AUDIT_VIEW

    def get(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        refusal = feature_refusal(self.tenant, Feature.AUDIT_EXPORT)
        if refusal is not None:
            return render(
                request,
                "audit/export_unavailable.html",
                {
                    "plan_limit": refusal,
                    "upgrade_url": request.build_absolute_uri(refusal.upgrade_path),
                },
                status=402,
            )
        filters = AuditFilterForm(request.GET or None)
        entries = filtered_entries(filters)
        if not filters.is_bound or filters.is_valid():  # a filter not on offer exports nothing
            audit_record(
                action=AuditAction.AUDIT_EXPORTED,
                actor=self.membership.user,
                request=request,
                # What was exported: the filters given (none: the whole log).
                **{
                    f"filter_{name}": value
                    for name, value in (filters.cleaned_data if filters.is_bound else {}).items()
                    if value
                },
            )
        response = StreamingHttpResponse(
            _csv_lines(self.tenant, entries), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.now().strftime("%Y-%m-%d")
        response["Content-Disposition"] = (
            f'attachment; filename="{self.tenant.slug}-audit-log-{stamp}.csv"'
        )
        add_never_cache_headers(response)
        return response
