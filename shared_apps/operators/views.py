"""The operator console, on the apex host only, for platform staff signed in with two factors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from billing.standing import standings_for
from shared_apps.accounts.models import User
from shared_apps.operators import services
from shared_apps.operators.forms import (
    ImpersonateForm,
    ImportForm,
    ProvisionForm,
    PurgeForm,
    ReasonForm,
    RenameForm,
    TenantSearchForm,
    TokenForm,
    UserSearchForm,
)
from shared_apps.operators.models import Impersonation, OperatorToken
from tenants import lifecycle, transfer
from tenants.access import TenantView
from tenants.hosts import public_site_url
from tenants.models import Domain, Membership, PlatformAuditEntry, Tenant
from tenants.requests import IMPERSONATION_SESSION_KEY
from tenants.schemas import ProvisioningNotReadyError
from tenants.selectors import tenants_for_operators

PAGE_SIZE = 50


class OperatorView(View):
    """Every console page: staff only, and only with a second factor in this session."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refusal = services.operator_refusal(request)
        if refusal == "sign-in":
            return redirect_to_login(request.get_full_path())
        if refusal == "not-staff":
            raise Http404  # the console does not exist for anyone else
        if refusal is not None:
            return render(request, "operators/mfa_required.html", {"why": refusal}, status=403)
        return super().dispatch(request, *args, **kwargs)

    def page(self, request: HttpRequest, items: QuerySet[Any]) -> Any:
        return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


class TenantsView(OperatorView):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = TenantSearchForm(request.GET or None)
        tenants = tenants_for_operators()
        if form.is_valid():
            tenants = tenants_for_operators(
                search=form.cleaned_data["q"], status=form.cleaned_data["status"]
            )
        if request.GET.get("ended"):
            messages.info(request, "The impersonation has ended.")
        page_obj = self.page(request, tenants)
        standings = standings_for(list(page_obj))
        for tenant in page_obj:
            tenant.billing_standing = standings[tenant.pk]
        return render(request, "operators/tenants.html", {"form": form, "page_obj": page_obj})


def _tenant(slug: str) -> Tenant:
    return get_object_or_404(Tenant, slug=slug)


class TenantDetailView(OperatorView):
    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        tenant = _tenant(slug)
        return render(
            request,
            "operators/tenant.html",
            {
                "tenant": tenant,
                "domains": Domain.objects.filter(tenant=tenant).order_by("-is_primary", "domain"),
                "members": Membership.objects.filter(tenant=tenant)
                .select_related("user")
                .order_by("role", "user__email"),
                "events": PlatformAuditEntry.objects.filter(tenant_ref=tenant.pk)[:20],
                "impersonations": Impersonation.objects.filter(tenant=tenant).select_related(
                    "operator", "user"
                )[:10],
                "impersonate_form": ImpersonateForm(),
            },
        )


class TenantActionView(OperatorView):
    """POST /operator/tenants/<slug>/<action>/: one lifecycle action, then back to the page."""

    def post(self, request: HttpRequest, slug: str, action: str) -> HttpResponse:
        tenant = _tenant(slug)
        actor = services.actor_of(request)
        handlers: dict[str, Callable[[], tuple[str, str]]] = {
            "suspend": lambda: self._suspend(tenant, actor),
            "reactivate": lambda: (
                lifecycle.tenant_reactivate(tenant, actor=actor).slug,
                f"{tenant.slug} is active again.",
            ),
            "rename": lambda: self._rename(tenant, actor),
            "archive": lambda: self._archive(tenant, actor),
            "restore": lambda: (
                lifecycle.tenant_restore(tenant, actor=actor).slug,
                f"{tenant.slug} is restored.",
            ),
            "purge": lambda: self._purge(tenant, actor),
        }
        if action not in handlers:
            raise Http404
        try:
            slug_after, message = handlers[action]()
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
            return HttpResponseRedirect(reverse("operators:tenant", args=[tenant.slug]))
        messages.success(request, message)
        if not slug_after:
            return HttpResponseRedirect(reverse("operators:tenants"))
        return HttpResponseRedirect(reverse("operators:tenant", args=[slug_after]))

    def _form_value(self, form_class: type[Any], field: str) -> str:
        form = form_class(self.request.POST)
        if not form.is_valid():
            errors = [str(e) for errors in form.errors.values() for e in errors]
            raise ValidationError(errors or ["Check the form and try again."])
        return str(form.cleaned_data[field] or "")

    def _suspend(self, tenant: Tenant, actor: lifecycle.Actor) -> tuple[str, str]:
        reason = self._form_value(ReasonForm, "reason")
        lifecycle.tenant_suspend(tenant, reason=reason, actor=actor)
        return tenant.slug, f"{tenant.slug} is suspended: {' '.join(reason.split())}"

    def _rename(self, tenant: Tenant, actor: lifecycle.Actor) -> tuple[str, str]:
        old = tenant.slug
        renamed = lifecycle.tenant_rename(
            tenant, new_slug=self._form_value(RenameForm, "slug"), actor=actor
        )
        return renamed.slug, f"{old} is now {renamed.slug}; the old address redirects there."

    def _archive(self, tenant: Tenant, actor: lifecycle.Actor) -> tuple[str, str]:
        archived = lifecycle.tenant_archive(
            tenant, actor=actor, reason=self._form_value(ReasonForm, "reason")
        )
        until = archived.purge_after.date().isoformat() if archived.purge_after else "?"
        return archived.slug, f"{tenant.slug} is archived; its data is kept until {until}."

    def _purge(self, tenant: Tenant, actor: lifecycle.Actor) -> tuple[str, str]:
        if self._form_value(PurgeForm, "confirm").strip().lower() != tenant.slug:
            raise ValidationError(f"Type {tenant.slug} to confirm the purge.")
        report = lifecycle.tenant_purge(tenant, actor=actor)
        return "", f"{report.slug} is purged: nothing of it remains."


class ProvisionView(OperatorView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "operators/tenant_new.html", {"form": ProvisionForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ProvisionForm(request.POST)
        if form.is_valid():
            try:
                result = services.provision_for_customer(
                    slug=form.cleaned_data["slug"],
                    name=form.cleaned_data["name"],
                    owner_email=form.cleaned_data["owner_email"],
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(
                    "slug" if exc.code in {"taken", "reserved", "invalid"} else None, exc
                )
            except ProvisioningNotReadyError as exc:
                form.add_error(None, f"Provisioning is not ready: {exc}.")
                return render(request, "operators/tenant_new.html", {"form": form}, status=503)
            else:
                messages.success(
                    request,
                    f"{result.tenant.name} is ready; {result.owner.get_username()} was mailed a "
                    "link into it.",
                )
                return HttpResponseRedirect(reverse("operators:tenant", args=[result.tenant.slug]))
        return render(request, "operators/tenant_new.html", {"form": form}, status=400)


class ImpersonateView(OperatorView):
    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        tenant = _tenant(slug)
        form = ImpersonateForm(request.POST)
        user = None
        if form.is_valid():
            user = User.objects.filter(pk=form.cleaned_data["user"]).first()
        if user is None or not form.is_valid():
            messages.error(request, "Choose a member, give a reason and a duration (1–60 minutes).")
            return HttpResponseRedirect(reverse("operators:tenant", args=[tenant.slug]))
        try:
            started = services.impersonation_start(
                tenant=tenant,
                user=user,
                reason=form.cleaned_data["reason"],
                minutes=form.cleaned_data["minutes"],
                request=request,
            )
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
            return HttpResponseRedirect(reverse("operators:tenant", args=[tenant.slug]))
        return HttpResponseRedirect(started.url)


class EndImpersonationView(TenantView):
    """On the tenant host, from the banner: end it now and go back to the console."""

    def post(self, request: HttpRequest) -> HttpResponse:
        impersonation = getattr(request, "impersonation", None)
        slug = self.tenant.slug
        if isinstance(impersonation, Impersonation):
            services.impersonation_end(impersonation, request=request, why="ended by the operator")
        if request.session.get(IMPERSONATION_SESSION_KEY):
            logout(request)
        return HttpResponseRedirect(public_site_url(request, f"/operator/tenants/{slug}/"))


class UsersView(OperatorView):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = UserSearchForm(request.GET or None)
        users = User.objects.prefetch_related("memberships__tenant").order_by("email")
        if form.is_valid() and form.cleaned_data["q"].strip():
            users = users.filter(email__icontains=form.cleaned_data["q"].strip())
        return render(
            request, "operators/users.html", {"form": form, "page_obj": self.page(request, users)}
        )


class DomainsView(OperatorView):
    def get(self, request: HttpRequest) -> HttpResponse:
        domains = Domain.objects.select_related("tenant").order_by("domain")
        return render(request, "operators/domains.html", {"page_obj": self.page(request, domains)})


class AuditView(OperatorView):
    def get(self, request: HttpRequest) -> HttpResponse:
        entries = PlatformAuditEntry.objects.all()
        return render(request, "operators/audit.html", {"page_obj": self.page(request, entries)})


class TokensView(OperatorView):
    def get(self, request: HttpRequest, form: TokenForm | None = None) -> HttpResponse:
        return render(
            request,
            "operators/tokens.html",
            {"form": form or TokenForm(), "tokens": OperatorToken.objects.all()},
            status=200 if form is None else 400,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TokenForm(request.POST)
        if not form.is_valid():
            return self.get(request, form)
        user = request.user if isinstance(request.user, User) else None
        _token, plain = services.operator_token_create(
            name=form.cleaned_data["name"], created_by=user, days=form.cleaned_data["days"]
        )
        return render(
            request,
            "operators/tokens.html",
            {"form": TokenForm(), "tokens": OperatorToken.objects.all(), "new_token": plain},
        )


class RevokeTokenView(OperatorView):
    def post(self, request: HttpRequest, prefix: str) -> HttpResponse:
        token = get_object_or_404(OperatorToken, prefix=prefix)
        services.operator_token_revoke(token, request=request)
        messages.success(request, f"The token {token.name} ({token.prefix}) no longer works.")
        return HttpResponseRedirect(reverse("operators:tokens"))


class ExportTenantView(OperatorView):
    def get(self, request: HttpRequest, slug: str) -> HttpResponseBase:
        return transfer.export_download(_tenant(slug), actor=services.actor_of(request))


class ImportTenantView(OperatorView):
    def get(self, request: HttpRequest, form: ImportForm | None = None) -> HttpResponse:
        return render(
            request,
            "operators/tenant_import.html",
            {"form": form or ImportForm()},
            status=200 if form is None else 400,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                summary = transfer.tenant_import(
                    form.cleaned_data["archive"],
                    slug=form.cleaned_data["slug"],
                    name=form.cleaned_data["name"],
                    owner_email=form.cleaned_data["owner_email"] or None,
                    actor=services.actor_of(request),
                )
            except ValidationError as exc:
                field = "slug" if exc.code in {"taken", "reserved", "invalid"} else "archive"
                form.add_error(field, exc)
            except ProvisioningNotReadyError as exc:
                form.add_error(None, f"Provisioning is not ready: {exc}.")
            else:
                rows = sum(summary.rows.values())
                messages.success(
                    request,
                    f"Imported as {summary.tenant.slug}: {rows} rows, {summary.files} files, "
                    f"{len(summary.members_added)} members.",
                )
                return HttpResponseRedirect(reverse("operators:tenant", args=[summary.tenant.slug]))
        return self.get(request, form)
