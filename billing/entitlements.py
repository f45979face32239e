"""What a workspace's plan allows, checked where it bites.

Apps that own something a plan limits (members, projects, attachments) register a function that
measures it (`register_usage`, from their AppConfig.ready), so billing can show usage and check
limits without importing them. Every refusal is a PlanLimitError whose message names the limit
and the plan that lifts it, and carries the billing page's address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.urls import NoReverseMatch, reverse

from billing.catalog import (
    Feature,
    Limit,
    Plan,
    cheapest_plan_above,
    cheapest_plan_with,
    format_bytes,
)
from billing.standing import standing_for
from tenants.models import Tenant
from tenants.seats import SeatLimitError

UsageMeter = Callable[[Tenant], int]
_meters: dict[Limit, UsageMeter] = {}


def register_usage(limit: Limit, meter: UsageMeter) -> None:
    """`meter(tenant)` measures `limit` for a tenant, inside the tenant's schema."""
    _meters[limit] = meter


def usage_of(tenant: Tenant, limit: Limit) -> int:
    meter = _meters.get(limit)
    if meter is None:
        raise LookupError(f"no app measures {limit}; register one with register_usage()")
    return meter(tenant)


def billing_page_path() -> str:
    try:
        return reverse("billing:page")
    except NoReverseMatch:  # on the apex, whose URLs have no billing page
        return "/settings/billing/"


class PlanLimitError(Exception):
    """A plan's limit or missing feature stops an action. `code` is machine-readable."""

    def __init__(self, message: str, *, code: str, limit: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.limit = limit
        self.upgrade_path = billing_page_path()


def _upgrade_hint(plan: Plan | None) -> str:
    if plan is None:
        return "Contact support to raise it."
    return f"Upgrade to {plan.name} on the billing page (Settings → Billing)."


def _amount(limit: Limit, value: int) -> str:
    if limit is Limit.STORAGE:
        return format_bytes(value)
    return f"{value:,} {limit.label}"


@dataclass(frozen=True)
class Usage:
    limit: Limit
    used: int
    allowed: int | None

    @property
    def label(self) -> str:
        return {Limit.SEATS: "Members", Limit.PROJECTS: "Projects", Limit.STORAGE: "Storage"}[
            self.limit
        ]

    @property
    def used_text(self) -> str:
        return format_bytes(self.used) if self.limit is Limit.STORAGE else f"{self.used:,}"

    @property
    def allowed_text(self) -> str:
        if self.allowed is None:
            return "Unlimited"
        return format_bytes(self.allowed) if self.limit is Limit.STORAGE else f"{self.allowed:,}"

    @property
    def percent(self) -> int:
        if not self.allowed:
            return 0
        return min(100, round(100 * self.used / self.allowed))

    @property
    def over(self) -> bool:
        return self.allowed is not None and self.used > self.allowed


def usage_report(tenant: Tenant) -> list[Usage]:
    plan = standing_for(tenant).plan
    return [Usage(limit, usage_of(tenant, limit), plan.limit(limit)) for limit in Limit]


# pg_advisory_xact_lock(<limit>, <tenant id>): one lock per limit and workspace.
_LOCK_KEYS = {Limit.SEATS: 7301, Limit.PROJECTS: 7302, Limit.STORAGE: 7303}


def lock_limit(tenant: Tenant, limit: Limit) -> None:
    """Hold the workspace's lock on `limit` until the current transaction ends, so that checks
    of it (measure, compare, add) run one after the other: two requests cannot both take the
    last slot. Call it inside the transaction that adds, before measuring."""
    if not connection.in_atomic_block:
        raise RuntimeError("lock_limit() outside a transaction would release the lock at once")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s::integer, %s::integer)",
            [_LOCK_KEYS[limit], int(tenant.pk) & 0x7FFFFFFF],
        )


def check_room(
    tenant: Tenant, limit: Limit, *, adding: int, used: int | None = None, lock: bool = False
) -> None:
    """Raise PlanLimitError if `adding` more of `limit` would go over the plan.

    With `lock=True` (inside the transaction that adds) the workspace's lock on the limit is
    taken before measuring and held until commit: see lock_limit(). Unlimited plans take none.
    """
    plan = standing_for(tenant).plan
    allowed = plan.limit(limit)
    if allowed is None:
        return
    if lock:
        lock_limit(tenant, limit)
    current = usage_of(tenant, limit) if used is None else used
    if current + adding <= allowed:
        return
    upgrade = cheapest_plan_above(limit, current + adding)
    if limit is Limit.STORAGE:
        message = (
            f"Your {plan.name} plan includes {format_bytes(allowed)} of attachments and this "
            f"workspace uses {format_bytes(current)}; this file needs "
            f"{format_bytes(adding)} more. {_upgrade_hint(upgrade)}"
        )
    else:
        message = (
            f"Your {plan.name} plan includes {_amount(limit, allowed)} and this workspace has "
            f"{current:,}. {_upgrade_hint(upgrade)}"
        )
    raise PlanLimitError(message, code="plan_limit", limit=str(limit))


def check_feature(tenant: Tenant, feature: Feature) -> None:
    plan = standing_for(tenant).plan
    if plan.allows(feature):
        return
    upgrade = cheapest_plan_with(feature)
    raise PlanLimitError(
        f"{feature.label} is not part of your {plan.name} plan. {_upgrade_hint(upgrade)}",
        code="plan_feature",
        limit=str(feature),
    )


def feature_refusal(tenant: Tenant, feature: Feature) -> PlanLimitError | None:
    """The PlanLimitError check_feature() would raise, or None: for a page that shows the
    upgrade message in place of a form the plan does not allow."""
    try:
        check_feature(tenant, feature)
    except PlanLimitError as exc:
        return exc
    return None


def has_feature(tenant: Tenant, feature: Feature) -> bool:
    return standing_for(tenant).plan.allows(feature)


def check_seat_limit(*, tenant: Tenant, seats_after: int) -> None:
    """The seat hook (settings.STRATA_SEAT_LIMIT_HOOK): members and pending invitations."""
    try:
        # Worded as "has N" for the seats taken before this one.
        check_room(tenant, Limit.SEATS, adding=1, used=max(seats_after - 1, 0))
    except PlanLimitError as exc:
        raise SeatLimitError(exc.message) from exc


def api_requests_per_minute(tenant: Tenant) -> int:
    """The workspace's API budget: its plan's, unless STRATA_API_REQUESTS_PER_MINUTE overrides."""
    override: int = settings.STRATA_API_REQUESTS_PER_MINUTE
    return override or standing_for(tenant).plan.api_requests_per_minute
