"""The plans the public site shows. Billing (issue 7) replaces this list with its catalog, which
will also enforce the limits; until then every workspace is on STRATA_DEFAULT_PLAN (free).

The API rate limit is already enforced (tenant_apps/api_access/throttling.py), from the same
number the pricing page shows."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    price: str
    period: str
    summary: str
    api_requests_per_minute: int
    other_limits: tuple[str, ...]
    highlighted: bool = False

    @property
    def limits(self) -> tuple[str, ...]:
        api = f"{self.api_requests_per_minute:,} API requests a minute"
        return (*self.other_limits[:3], api, *self.other_limits[3:])


PLANS = (
    Plan(
        code="free",
        name="Free",
        price="$0",
        period="forever",
        summary="For a small team trying Strata out.",
        api_requests_per_minute=60,
        other_limits=("3 members", "3 projects", "100 MB of attachments"),
    ),
    Plan(
        code="pro",
        name="Pro",
        price="$12",
        period="per member / month",
        summary="For teams that run their work in Strata.",
        api_requests_per_minute=600,
        other_limits=(
            "25 members",
            "Unlimited projects",
            "10 GB of attachments",
            "Audit log export",
        ),
        highlighted=True,
    ),
    Plan(
        code="business",
        name="Business",
        price="$24",
        period="per member / month",
        summary="For companies with their own domain and stricter needs.",
        api_requests_per_minute=3000,
        other_limits=(
            "Unlimited members",
            "Unlimited projects",
            "100 GB of attachments",
            "Custom domain",
            "Audit log export",
        ),
    ),
)


def plan_named(code: str) -> Plan:
    """The plan with this code; ImproperlyConfigured names the codes that exist."""
    for plan in PLANS:
        if plan.code == code:
            return plan
    raise ImproperlyConfigured(
        f"no plan {code!r}; the plans are {', '.join(plan.code for plan in PLANS)}"
    )
