"""`manage.py check` refuses a half-configured billing: a secret key without the rest."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from billing.catalog import PLANS, paid_plans


@register()
def billing_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for name in ("STRATA_DEFAULT_PLAN", "STRATA_TRIAL_PLAN"):
        code = getattr(settings, name)
        if code not in {plan.code for plan in PLANS}:
            errors.append(
                Error(
                    f"{name}={code!r} is not a plan",
                    hint=f"use one of {', '.join(plan.code for plan in PLANS)}",
                    id="billing.E001",
                )
            )
    if not settings.STRIPE_SECRET_KEY:
        return errors
    if not settings.STRIPE_WEBHOOK_SECRET:
        errors.append(
            Error(
                "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not",
                hint="copy the signing secret (whsec_...) of the webhook endpoint "
                "/billing/stripe/webhook/ from the Stripe dashboard",
                id="billing.E002",
            )
        )
    for plan in paid_plans():
        if not plan.stripe_price_id:
            errors.append(
                Error(
                    f"STRIPE_SECRET_KEY is set but plan {plan.code!r} has no Stripe price",
                    hint=f"set STRIPE_PRICE_{plan.code.upper()} to its price id (price_...)",
                    id="billing.E003",
                )
            )
    prices = [plan.stripe_price_id for plan in paid_plans() if plan.stripe_price_id]
    if len(prices) != len(set(prices)):
        errors.append(
            Error(
                "two plans share one Stripe price",
                hint="each paid plan needs its own STRIPE_PRICE_...",
                id="billing.E004",
            )
        )
    return errors
