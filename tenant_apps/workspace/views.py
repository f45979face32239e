from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from billing.catalog import Feature
from billing.entitlements import PlanLimitError, check_feature, feature_refusal
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record
from tenant_apps.projects.selectors import open_tasks_of, recent_projects
from tenants.access import TenantView
from tenants.domains import (
    custom_domain_add,
    custom_domain_remove,
    custom_domain_verify,
    verification_record,
)
from tenants.lifecycle import Actor
from tenants.models import Domain
from tenants.roles import Permission, role_has_permission
from tenants.transfer import export_download


class DashboardView(TenantView, TemplateView):
    """The first page after signing in: which workspace this is and who you are in it."""

    template_name = "workspace/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["member_count"] = self.tenant.memberships.count()
        context["recent_projects"] = recent_projects()
        context["my_tasks"] = (
            open_tasks_of(self.membership.user_id) if context["recent_projects"] else []
        )
        context["can_write"] = role_has_permission(self.membership.role, Permission.CONTENT_WRITE)
        context["today"] = timezone.localdate()
        return context


class DomainForm(forms.Form):
    domain = forms.CharField(
        label="Domain",
        max_length=253,
        widget=forms.TextInput(attrs={"placeholder": "tasks.your-company.com"}),
    )


class DomainsView(TenantView):
    """Admins bring their own domain: add it, publish a TXT record, verify, and it routes."""

    required_permission = Permission.WORKSPACE_MANAGE

    def get(self, request: HttpRequest, form: DomainForm | None = None) -> HttpResponse:
        domains = [
            (domain, verification_record(domain) if domain.verification_token else None)
            for domain in Domain.objects.filter(tenant_id=self.tenant.pk).order_by(
                "-is_primary", "domain"
            )
        ]
        return render(
            request,
            "workspace/domains.html",
            {
                "domains": domains,
                "form": form or DomainForm(),
                # On a plan without custom domains: the upgrade hint above the form.
                "plan_limit": feature_refusal(self.tenant, Feature.CUSTOM_DOMAIN),
            },
            status=200 if form is None else 400,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = DomainForm(request.POST)
        if form.is_valid():
            try:
                check_feature(self.tenant, Feature.CUSTOM_DOMAIN)
                domain = custom_domain_add(self.tenant, form.cleaned_data["domain"])
            except ValidationError as exc:
                form.add_error("domain", exc)
            except PlanLimitError as exc:
                form.add_error("domain", exc.message)
            else:
                audit_record(
                    action=AuditAction.DOMAIN_ADDED,
                    actor=self.membership.user,
                    target=domain.domain,
                    request=request,
                )
                messages.success(
                    request, f"{domain.domain} is added. Publish the TXT record below, then verify."
                )
                return HttpResponseRedirect(reverse("workspace:domains"))
        return self.get(request, form)


class _DomainAction(TenantView):
    required_permission = Permission.WORKSPACE_MANAGE

    def domain(self, pk: int) -> Domain:
        return get_object_or_404(Domain, pk=pk, tenant_id=self.tenant.pk)


class VerifyDomainView(_DomainAction):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        domain = self.domain(pk)
        if custom_domain_verify(domain):
            audit_record(
                action=AuditAction.DOMAIN_VERIFIED,
                actor=self.membership.user,
                target=domain.domain,
                request=request,
            )
            messages.success(request, f"{domain.domain} is verified: it now opens this workspace.")
        else:
            name, value = verification_record(domain)
            messages.error(
                request,
                f"No TXT record {name} with the value {value} was found yet. DNS changes can take "
                "a while to appear; try again in a few minutes.",
            )
        return HttpResponseRedirect(reverse("workspace:domains"))


class RemoveDomainView(_DomainAction):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        domain = self.domain(pk)
        try:
            custom_domain_remove(domain)
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        else:
            audit_record(
                action=AuditAction.DOMAIN_REMOVED,
                actor=self.membership.user,
                target=domain.domain,
                request=request,
            )
            messages.success(request, f"{domain.domain} no longer opens this workspace.")
        return HttpResponseRedirect(reverse("workspace:domains"))


class ExportView(TenantView):
    """Owners and admins take the workspace's data with them: every row and file, as a zip.
    A read-only workspace (billing) still may: its data is its own."""

    required_permission = Permission.WORKSPACE_MANAGE
    allowed_when_read_only = True

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "workspace/export.html")

    def post(self, request: HttpRequest) -> HttpResponseBase:
        actor = Actor(user=self.membership.user, request=request)
        return export_download(self.tenant, actor=actor)
