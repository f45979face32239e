from __future__ import annotations

import logging

from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing import services as billing_services
from billing.catalog import PLANS, trial_plan
from shared_apps.accounts.hops import hop_token_issue
from shared_apps.accounts.models import User
from shared_apps.accounts.services import browser_of
from shared_apps.website.forms import SignupForm
from tenants.hosts import primary_host_for_slug, tenant_site_url, with_request_port
from tenants.schemas import ProvisioningNotReadyError
from tenants.services import tenant_provision, tenant_slug_clean
from tenants.slugs import SLUG_MAX_LENGTH

logger = logging.getLogger("strata.signup")

SIGNUP_THROTTLED = (
    "Too many workspaces were created from your network in the last hour. Try again later, "
    "or write to us if your company needs more."
)


def landing(request: HttpRequest) -> HttpResponse:
    base_host = with_request_port(request, settings.STRATA_BASE_DOMAIN)
    return render(request, "website/landing.html", {"base_host": base_host})


def pricing(request: HttpRequest) -> HttpResponse:
    trial = billing_services.billing_enabled() and settings.STRATA_TRIAL_DAYS > 0
    return render(
        request,
        "website/pricing.html",
        {
            "plans": PLANS,
            "trial_days": settings.STRATA_TRIAL_DAYS if trial else 0,
            "trial_plan": trial_plan(),
        },
    )


@require_GET
def subdomain_check(request: HttpRequest) -> JsonResponse:
    """Whether a subdomain can be had, for the sign-up form to say while the person types."""
    raw = request.GET.get("subdomain", "")[: SLUG_MAX_LENGTH + 1]
    try:
        slug = tenant_slug_clean(raw)
    except ValidationError as exc:
        return JsonResponse({"available": False, "message": " ".join(exc.messages)})
    host = with_request_port(request, primary_host_for_slug(slug))
    return JsonResponse({"available": True, "subdomain": slug, "message": f"{host} is available."})


def signup(request: HttpRequest) -> HttpResponse:
    """A new workspace: on success the owner lands in it, signed in, within a second."""
    base_host = with_request_port(request, settings.STRATA_BASE_DOMAIN)
    if request.method != "POST":
        form = SignupForm(request=request)
        return render(request, "website/signup.html", {"form": form, "base_host": base_host})
    form = SignupForm(request.POST, request=request)
    status = 400
    if not ratelimit.consume(request, action="signup"):
        form.add_error(None, SIGNUP_THROTTLED)
        status = 429
    elif form.is_valid():
        response = _create_workspace(request, form)
        if response is not None:
            return response
        status = 503 if form.non_field_errors() else 400
    return render(
        request, "website/signup.html", {"form": form, "base_host": base_host}, status=status
    )


def _create_workspace(request: HttpRequest, form: SignupForm) -> HttpResponse | None:
    data = form.cleaned_data
    try:
        result = tenant_provision(
            slug=data["subdomain"],
            name=data["name"],
            owner_email=form.existing_user.email if form.existing_user else data["email"],
            owner_password=None if form.existing_user else data["password"],
            request=request,
        )
    except ValidationError as exc:
        # Lost a race for the subdomain (or the new owner's address) to another signup.
        form.add_error("subdomain" if exc.code == "taken" else "email", exc)
        return None
    except ProvisioningNotReadyError:
        logger.exception("signup refused: provisioning is not ready")
        form.add_error(
            None,
            "We cannot create workspaces for a few minutes while Strata is being updated. "
            "Nothing was created; please try again shortly.",
        )
        return None
    owner = result.owner
    assert isinstance(owner, User)  # noqa: S101 - the account model is ours
    if result.owner_created:
        address = EmailAddress.objects.create(
            user=owner, email=owner.email, primary=True, verified=False
        )
        address.send_confirmation(request, signup=True)
    tenant = result.tenant
    logger.info("signup: %s created by %s", tenant.slug, owner.pk)
    token = hop_token_issue(user=owner, tenant=tenant, browser=browser_of(request))
    return HttpResponseRedirect(
        tenant_site_url(
            request, primary_host_for_slug(tenant.slug), f"/accounts/hop/?token={token}"
        )
    )
