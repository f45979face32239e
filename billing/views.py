"""Billing's pages: the Stripe webhook on the apex, and the billing page of a workspace."""

from __future__ import annotations

import logging
import secrets
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from billing import services
from billing.catalog import PLANS
from billing.entitlements import usage_report
from billing.models import WebhookEventStatus
from billing.standing import standing_for
from billing.stripe_client import StripeUnavailableError, WebhookRejectedError
from tenants.access import TenantView
from tenants.hosts import primary_host_for_slug, public_site_url, tenant_site_url
from tenants.models import Membership, Tenant, TenantStatus
from tenants.roles import Permission, Role, role_has_permission

logger = logging.getLogger("strata.billing")

# Stripe's payloads are a few kilobytes; anything this large is not Stripe.
MAX_WEBHOOK_BYTES = 1024 * 1024


@method_decorator(csrf_exempt, name="dispatch")
class StripeWebhookView(View):
    """POST /billing/stripe/webhook/ on the apex: verify, store once, process.

    400 for a delivery that is not Stripe's (nothing stored); 500 when processing failed, so
    Stripe delivers the event again; 200 once it is processed (also for repeats).
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        if len(request.body) > MAX_WEBHOOK_BYTES:
            return JsonResponse({"detail": "Body too large.", "code": "too_large"}, status=400)
        signature = request.headers.get("Stripe-Signature", "")
        try:
            event = services.receive_webhook(request.body, signature)
        except WebhookRejectedError as exc:
            logger.warning("Stripe webhook rejected: %s", exc)
            return JsonResponse(
                {"detail": "Not a valid Stripe delivery.", "code": "bad_signature"}, status=400
            )
        if event.status == WebhookEventStatus.FAILED:
            return JsonResponse(
                {"detail": "Processing failed; deliver again.", "code": "processing_failed"},
                status=500,
            )
        return JsonResponse({"received": event.stripe_id, "outcome": event.outcome})


class BillingPageView(TenantView, TemplateView):
    """Plan, usage against limits, invoices, and the ways to pay. Admins see it; owners act."""

    required_permission = Permission.WORKSPACE_MANAGE
    template_name = "billing/page.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET.get("checkout") == "done" and services.billing_enabled():
            # Back from Checkout: read Stripe now rather than wait for the webhook.
            try:
                account = services.account_for(self.tenant)
                services.sync_account(account, source="checkout return")
            except (StripeUnavailableError, ValueError) as exc:
                logger.warning("billing page: sync after checkout failed: %s", exc)
            return redirect("billing:page")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        invoices: list[Any] = []
        invoices_error = ""
        if services.billing_enabled():
            try:
                invoices = services.invoices_for(self.tenant)
            except StripeUnavailableError:
                invoices_error = "Invoices cannot be read from Stripe right now; try again soon."
        context.update(
            standing=standing_for(self.tenant),
            usage=usage_report(self.tenant),
            plans=PLANS,
            invoices=invoices,
            invoices_error=invoices_error,
            billing_enabled=services.billing_enabled(),
            can_manage=role_has_permission(self.membership.role, Permission.BILLING_MANAGE),
        )
        return context


class _ToStripeView(TenantView):
    """Owners leave for a Stripe page and come back to the billing page; a refusal or a Stripe
    outage comes back at once, as a message there."""

    required_permission = Permission.BILLING_MANAGE
    # "start checkout", "open the portal": for the message when Stripe cannot be reached.
    purpose: ClassVar[str]

    def stripe_url(self, request: HttpRequest, page: str) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest) -> HttpResponse:
        page = request.build_absolute_uri(reverse("billing:page"))
        try:
            return HttpResponseRedirect(self.stripe_url(request, page))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except StripeUnavailableError:
            messages.error(
                request, f"Stripe could not be reached to {self.purpose}; try again in a minute."
            )
        return HttpResponseRedirect(reverse("billing:page"))


class CheckoutView(_ToStripeView):
    """Owners start a subscription: off to Stripe Checkout, back to the billing page."""

    purpose = "start checkout"

    def stripe_url(self, request: HttpRequest, page: str) -> str:
        return services.start_checkout(
            self.tenant,
            plan_code=request.POST.get("plan", ""),
            success_url=f"{page}?checkout=done",
            cancel_url=page,
            attempt=request.POST.get("attempt", "")[:64] or secrets.token_hex(8),
        )


class PortalView(_ToStripeView):
    """Owners change plans, cancel, or update cards in the Stripe Customer Portal."""

    purpose = "open the portal"

    def stripe_url(self, request: HttpRequest, page: str) -> str:
        return services.open_portal(self.tenant, return_url=page)


class RestoreView(View):
    """On the apex: the way back for a workspace billing suspended, whose own host shows only
    the suspended page. Its owners pay through Checkout; the subscription lifts the suspension
    (services.sync_account) the moment Stripe says it is paid."""

    def _owned_tenant(self, request: HttpRequest, slug: str) -> Tenant:
        tenant = Tenant.objects.filter(slug=slug).first()
        if (
            tenant is None
            or not request.user.is_authenticated
            or not Membership.objects.filter(
                tenant=tenant, user_id=request.user.pk, role=Role.OWNER
            ).exists()
        ):
            raise Http404  # the same for no such workspace and one the person does not own
        return tenant

    def _page(self, request: HttpRequest, tenant: Tenant, status: int = 200) -> HttpResponse:
        account = services.account_for(tenant)
        return render(
            request,
            "billing/restore.html",
            {
                "workspace": tenant,
                "restorable": services.billing_enabled() and account.suspended_at is not None,
                "plans": [plan for plan in PLANS if not plan.is_free],
            },
            status=status,
        )

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        tenant = self._owned_tenant(request, slug)
        if request.GET.get("checkout") == "done" and services.billing_enabled():
            try:
                services.sync_account(services.account_for(tenant), source="restore checkout")
            except (StripeUnavailableError, ValueError) as exc:
                logger.warning("restore: sync after checkout failed: %s", exc)
            tenant.refresh_from_db()
            if tenant.status == TenantStatus.ACTIVE:
                return HttpResponseRedirect(
                    tenant_site_url(request, primary_host_for_slug(tenant.slug), "/")
                )
        return self._page(request, tenant)

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        tenant = self._owned_tenant(request, slug)
        if services.account_for(tenant).suspended_at is None:
            messages.error(request, "Billing did not suspend this workspace; contact support.")
            return self._page(request, tenant, status=400)
        here = public_site_url(request, reverse("billing_public:restore", args=[tenant.slug]))
        try:
            url = services.start_checkout(
                tenant,
                plan_code=request.POST.get("plan", ""),
                success_url=f"{here}?checkout=done",
                cancel_url=here,
                attempt=request.POST.get("attempt", "")[:64] or secrets.token_hex(8),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return self._page(request, tenant, status=400)
        except StripeUnavailableError:
            messages.error(request, "Stripe could not be reached; try again in a minute.")
            return self._page(request, tenant, status=503)
        return HttpResponseRedirect(url)
