"""Billing's pages: the Stripe webhook on the apex, and the billing page of a workspace."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
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
from tenants.roles import Permission, role_has_permission

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


def _error_redirect(request: HttpRequest, message: str) -> HttpResponseRedirect:
    messages.error(request, message)
    return HttpResponseRedirect(reverse("billing:page"))


class CheckoutView(TenantView):
    """Owners start a subscription: off to Stripe Checkout, back to the billing page."""

    required_permission = Permission.BILLING_MANAGE

    def post(self, request: HttpRequest) -> HttpResponse:
        page = request.build_absolute_uri(reverse("billing:page"))
        attempt = request.POST.get("attempt", "")[:64] or secrets.token_hex(8)
        try:
            url = services.start_checkout(
                self.tenant,
                plan_code=request.POST.get("plan", ""),
                success_url=f"{page}?checkout=done",
                cancel_url=page,
                attempt=attempt,
            )
        except ValidationError as exc:
            return _error_redirect(request, " ".join(exc.messages))
        except StripeUnavailableError:
            return _error_redirect(
                request, "Stripe could not be reached to start checkout; try again in a minute."
            )
        return HttpResponseRedirect(url)


class PortalView(TenantView):
    """Owners change plans, cancel, or update cards in the Stripe Customer Portal."""

    required_permission = Permission.BILLING_MANAGE

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            url = services.open_portal(
                self.tenant, return_url=request.build_absolute_uri(reverse("billing:page"))
            )
        except ValidationError as exc:
            return _error_redirect(request, " ".join(exc.messages))
        except StripeUnavailableError:
            return _error_redirect(
                request, "Stripe could not be reached to open the portal; try again in a minute."
            )
        return HttpResponseRedirect(url)
