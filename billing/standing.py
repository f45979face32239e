"""A workspace's standing: which plan it is on and what billing lets it do right now.

Computed from the account's mirror of Stripe and the clock, never stored, so a grace period runs
out on time without anything having to happen. The account's fields are cached (un-prefixed
"global" cache, keyed by tenant) so that a request pays one cache read for it, not a query; every
write to an account goes through billing.services, which drops the cached copy after commit.
"""

from __future__ import annotations

import contextlib
import enum
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from billing.catalog import Plan, default_plan, plan_named, trial_plan
from billing.models import BillingAccount, SubscriptionStatus
from billing.stripe_client import billing_enabled
from tenants.availability import REDIS_ERRORS
from tenants.models import Tenant

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300
# The trial's last days show a banner to admins.
TRIAL_REMINDER_DAYS = 3
_NO_ACCOUNT = "none"


class Access(enum.StrEnum):
    FULL = "full"  # everything the plan allows
    GRACE = "grace"  # a payment failed: full access for now, with a banner
    READ_ONLY = "read_only"  # reads work, writes get 402


class State(enum.StrEnum):
    BILLING_OFF = "billing_off"
    TRIAL = "trial"
    FREE = "free"
    SUBSCRIBED = "subscribed"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    CANCELED = "canceled"


@dataclass(frozen=True)
class Standing:
    plan: Plan
    state: State
    access: Access
    trial_ends_at: datetime | None = None
    grace_ends_at: datetime | None = None
    # For a canceled subscription: when the read-only workspace is suspended.
    suspends_at: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    has_customer: bool = False

    @property
    def writable(self) -> bool:
        return self.access is not Access.READ_ONLY

    @property
    def trial_ending_soon(self) -> bool:
        return (
            self.state is State.TRIAL
            and self.trial_ends_at is not None
            and self.trial_ends_at - timezone.now() <= timedelta(days=TRIAL_REMINDER_DAYS)
        )

    @property
    def subscribed(self) -> bool:
        """A live subscription (paid, trialing in Stripe, or in its grace period)."""
        return self.state in {State.SUBSCRIBED, State.PAST_DUE} and self.writable


def _cache_key(tenant_id: int) -> str:
    return f"billing:account:{tenant_id}"


_FIELDS = (
    "trial_ends_at",
    "stripe_customer_id",
    "subscription_status",
    "plan_code",
    "current_period_end",
    "cancel_at_period_end",
    "ended_at",
    "past_due_since",
)


def fields_of(account: BillingAccount) -> dict[str, Any]:
    """What a standing is computed from, read off an account row in hand."""
    return {name: getattr(account, name) for name in _FIELDS}


# Within one request the account is read once, however many checks ask (the API key's
# feature, the throttle's rate, the read-only gate, the banner). Outside a request (tasks,
# commands) nothing is remembered.
_request_memo: ContextVar[dict[int, dict[str, Any] | None] | None] = ContextVar(
    "billing_request_memo", default=None
)


@contextmanager
def read_once_per_request() -> Iterator[None]:
    token = _request_memo.set({})
    try:
        yield
    finally:
        _request_memo.reset(token)


def _account_fields(tenant: Tenant) -> dict[str, Any] | None:
    memo = _request_memo.get()
    if memo is not None and tenant.pk in memo:
        return memo[tenant.pk]
    fields = _cached_account_fields(tenant)
    if memo is not None:
        memo[tenant.pk] = fields
    return fields


def _cached_account_fields(tenant: Tenant) -> dict[str, Any] | None:
    cache = caches["global"]
    key = _cache_key(tenant.pk)
    try:
        cached = cache.get(key)
    except REDIS_ERRORS:  # Redis down: the database answers, as on a miss
        logger.warning("billing cache unavailable, reading the account from the database")
        cached = None
    if cached == _NO_ACCOUNT:
        return None
    if isinstance(cached, dict):
        return cached
    fields: dict[str, Any] | None = (
        BillingAccount.objects.filter(tenant_id=tenant.pk).values(*_FIELDS).first()
    )
    with contextlib.suppress(*REDIS_ERRORS):  # logged by the read just before
        cache.set(key, fields if fields is not None else _NO_ACCOUNT, CACHE_SECONDS)
    return fields


def forget_cached_account(tenant_id: int) -> None:
    caches["global"].delete(_cache_key(tenant_id))
    memo = _request_memo.get()
    if memo is not None:
        memo.pop(tenant_id, None)


def default_trial_end(tenant: Tenant) -> datetime | None:
    if not settings.STRATA_TRIAL_DAYS:
        return None
    return tenant.created_at + timedelta(days=settings.STRATA_TRIAL_DAYS)


def standing_for(tenant: Tenant, *, now: datetime | None = None) -> Standing:
    if not billing_enabled():
        return Standing(plan=default_plan(), state=State.BILLING_OFF, access=Access.FULL)
    fields = _account_fields(tenant)
    if fields is None:
        fields = {"trial_ends_at": default_trial_end(tenant)}
    return standing_of(fields, now=now or timezone.now())


def standing_of(fields: dict[str, Any], *, now: datetime) -> Standing:
    """The standing an account with these fields has at `now`."""
    status = fields.get("subscription_status") or SubscriptionStatus.NONE
    common: dict[str, Any] = {
        "current_period_end": fields.get("current_period_end"),
        "cancel_at_period_end": bool(fields.get("cancel_at_period_end")),
        "has_customer": bool(fields.get("stripe_customer_id")),
    }
    plan = _subscribed_plan(fields)
    if status in {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING}:
        return Standing(plan=plan, state=State.SUBSCRIBED, access=Access.FULL, **common)
    if status == SubscriptionStatus.PAST_DUE:
        since = fields.get("past_due_since") or now
        grace_ends = since + timedelta(days=settings.STRATA_BILLING_GRACE_DAYS)
        access = Access.GRACE if now < grace_ends else Access.READ_ONLY
        return Standing(
            plan=plan, state=State.PAST_DUE, access=access, grace_ends_at=grace_ends, **common
        )
    if status in {SubscriptionStatus.UNPAID, SubscriptionStatus.PAUSED}:
        return Standing(plan=plan, state=State.UNPAID, access=Access.READ_ONLY, **common)
    if status == SubscriptionStatus.CANCELED:
        ended = fields.get("ended_at") or now
        suspends = ended + timedelta(days=settings.STRATA_BILLING_RETENTION_DAYS)
        return Standing(
            plan=plan,
            state=State.CANCELED,
            access=Access.READ_ONLY,
            suspends_at=suspends,
            **common,
        )
    # Never subscribed (or a checkout that never completed): the trial, then the default plan.
    trial_ends = fields.get("trial_ends_at")
    if trial_ends is not None and now < trial_ends:
        return Standing(
            plan=trial_plan(),
            state=State.TRIAL,
            access=Access.FULL,
            trial_ends_at=trial_ends,
            **common,
        )
    return Standing(plan=default_plan(), state=State.FREE, access=Access.FULL, **common)


def _subscribed_plan(fields: dict[str, Any]) -> Plan:
    code = fields.get("plan_code")
    return plan_named(code) if code else default_plan()


def standings_for(tenants: list[Tenant], *, now: datetime | None = None) -> dict[int, Standing]:
    """Many tenants' standings from one query (the operators' tenant list)."""
    now = now or timezone.now()
    if not billing_enabled():
        off = Standing(plan=default_plan(), state=State.BILLING_OFF, access=Access.FULL)
        return {tenant.pk: off for tenant in tenants}
    rows = {
        row["tenant_id"]: row
        for row in BillingAccount.objects.filter(tenant__in=tenants).values("tenant_id", *_FIELDS)
    }
    return {
        tenant.pk: standing_of(
            rows.get(tenant.pk) or {"trial_ends_at": default_trial_end(tenant)}, now=now
        )
        for tenant in tenants
    }
