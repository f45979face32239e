"""The plan catalog: what each plan costs and what it lets a workspace do.

The pricing page, the billing page and every limit check read this one list. Prices are shown
from here; what Stripe charges comes from the price ids in settings.STRIPE_PRICES (one per paid
plan, from the environment), so a plan's Stripe price and its entitlements can never disagree
about which plan a subscription is on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MB = 1024**2
GB = 1024**3


class Feature(enum.StrEnum):
    API_ACCESS = "api_access"
    AUDIT_EXPORT = "audit_export"
    CUSTOM_DOMAIN = "custom_domain"

    @property
    def label(self) -> str:
        return _FEATURE_LABELS[self]


_FEATURE_LABELS = {
    Feature.API_ACCESS: "API keys",
    Feature.AUDIT_EXPORT: "Audit log export",
    Feature.CUSTOM_DOMAIN: "Custom domain",
}


class Limit(enum.StrEnum):
    SEATS = "seats"
    PROJECTS = "projects"
    STORAGE = "storage"

    @property
    def label(self) -> str:
        return {Limit.SEATS: "seats", Limit.PROJECTS: "projects", Limit.STORAGE: "storage"}[self]


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    # US cents per seat a month; 0 for the free plan.
    price_per_seat_cents: int
    summary: str
    # None: unlimited.
    seats: int | None
    projects: int | None
    storage_bytes: int
    api_requests_per_minute: int
    features: frozenset[Feature]
    highlighted: bool = False

    @property
    def is_free(self) -> bool:
        return self.price_per_seat_cents == 0

    @property
    def price(self) -> str:
        dollars, cents = divmod(self.price_per_seat_cents, 100)
        return f"${dollars}" if not cents else f"${dollars}.{cents:02d}"

    @property
    def period(self) -> str:
        return "forever" if self.is_free else "per member / month"

    @property
    def stripe_price_id(self) -> str:
        """The Stripe price of this plan ("" for the free plan or while billing is off)."""
        return str(settings.STRIPE_PRICES.get(self.code, ""))

    def allows(self, feature: Feature) -> bool:
        return feature in self.features

    def limit(self, limit: Limit) -> int | None:
        if limit is Limit.SEATS:
            return self.seats
        if limit is Limit.PROJECTS:
            return self.projects
        return self.storage_bytes

    @property
    def limits(self) -> tuple[str, ...]:
        """The plan's limits and features as the pricing page lists them."""
        lines = [
            _count(self.seats, "member"),
            _count(self.projects, "project"),
            f"{format_bytes(self.storage_bytes)} of attachments",
            f"{self.api_requests_per_minute:,} API requests a minute",
        ]
        lines += [feature.label for feature in Feature if feature in self.features]
        return tuple(lines)


def _count(value: int | None, noun: str) -> str:
    if value is None:
        return f"Unlimited {noun}s"
    return f"{value:,} {noun}{'' if value == 1 else 's'}"


def format_bytes(value: int) -> str:
    """1 GB, 100 MB, 2.5 GB: storage as people read it."""
    for unit, size in (("GB", GB), ("MB", MB), ("KB", 1024)):
        if value >= size:
            amount = value / size
            text = f"{amount:.1f}".removesuffix(".0")
            return f"{text} {unit}"
    return f"{value} bytes"


PLANS = (
    Plan(
        code="free",
        name="Free",
        price_per_seat_cents=0,
        summary="For a small team trying Strata out.",
        seats=3,
        projects=3,
        storage_bytes=100 * MB,
        api_requests_per_minute=60,
        features=frozenset(),
    ),
    Plan(
        code="pro",
        name="Pro",
        price_per_seat_cents=1200,
        summary="For teams that run their work in Strata.",
        seats=25,
        projects=None,
        storage_bytes=10 * GB,
        api_requests_per_minute=600,
        features=frozenset({Feature.API_ACCESS, Feature.AUDIT_EXPORT}),
        highlighted=True,
    ),
    Plan(
        code="business",
        name="Business",
        price_per_seat_cents=2400,
        summary="For companies with their own domain and stricter needs.",
        seats=None,
        projects=None,
        storage_bytes=100 * GB,
        api_requests_per_minute=3000,
        features=frozenset(Feature),
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


def paid_plans() -> tuple[Plan, ...]:
    return tuple(plan for plan in PLANS if not plan.is_free)


def plan_for_price(price_id: str) -> Plan | None:
    """The plan a Stripe price belongs to, or None for a price that is not ours."""
    if not price_id:
        return None
    for plan in paid_plans():
        if plan.stripe_price_id == price_id:
            return plan
    return None


def default_plan() -> Plan:
    return plan_named(settings.STRATA_DEFAULT_PLAN)


def trial_plan() -> Plan:
    return plan_named(settings.STRATA_TRIAL_PLAN)


def cheapest_plan_with(feature: Feature) -> Plan | None:
    return next((plan for plan in PLANS if plan.allows(feature)), None)


def cheapest_plan_above(limit: Limit, amount: int) -> Plan | None:
    """The first plan whose `limit` allows `amount`."""
    for plan in PLANS:
        allowed = plan.limit(limit)
        if allowed is None or allowed >= amount:
            return plan
    return None
