"""Billing workflows: the Stripe customer, checkout and portal, webhook events, and the mirror of
each tenant's subscription.

Every change to an account comes from reading Stripe (`sync_account`), never from what an event
says: events only tell us *when* to read. So deliveries in any order, repeated or missed (the
hourly reconciliation reads again) converge on what Stripe has now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from billing import stripe_client
from billing.catalog import Plan, plan_for_price, plan_named
from billing.entitlements import billing_page_path
from billing.models import (
    BillingAccount,
    BillingChange,
    SubscriptionStatus,
    WebhookEvent,
    WebhookEventStatus,
)
from billing.standing import (
    State,
    default_trial_end,
    fields_of,
    forget_cached_account,
    standing_for,
    standing_of,
)
from billing.stripe_client import StripeUnavailableError, Subscription
from tenants import lifecycle
from tenants.hosts import tenant_absolute_url
from tenants.models import Membership, Tenant, TenantStatus
from tenants.roles import Role

logger = logging.getLogger("strata.billing")

# Stripe events that can change a subscription; each makes Strata read the subscription again.
SYNC_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "customer.subscription.trial_will_end",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
        "invoice.payment_action_required",
        "invoice.marked_uncollectible",
    }
)
# The order in which a customer's subscriptions count: a live one wins over an ended one.
_STATUS_RANK = {
    SubscriptionStatus.ACTIVE: 0,
    SubscriptionStatus.TRIALING: 0,
    SubscriptionStatus.PAST_DUE: 0,
    SubscriptionStatus.UNPAID: 1,
    SubscriptionStatus.PAUSED: 1,
    SubscriptionStatus.CANCELED: 2,
    SubscriptionStatus.INCOMPLETE: 3,
    SubscriptionStatus.INCOMPLETE_EXPIRED: 3,
}
LIVE_STATUSES = frozenset(
    {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE}
)
BILLING_ACTOR = lifecycle.Actor(label="billing")


def billing_enabled() -> bool:
    return stripe_client.billing_enabled()


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


# --- Accounts and customers ---------------------------------------------------------------------


def account_for(tenant: Tenant, *, lock: bool = False) -> BillingAccount:
    """The tenant's billing account, created on first use with the trial every workspace gets."""
    account, _ = BillingAccount.objects.get_or_create(
        tenant=tenant, defaults={"trial_ends_at": default_trial_end(tenant)}
    )
    if lock:
        account = BillingAccount.objects.select_for_update().get(pk=account.pk)
    return account


def _forget_after_commit(account: BillingAccount) -> None:
    tenant_id = account.tenant_id
    transaction.on_commit(lambda: forget_cached_account(tenant_id))


def owner_emails(tenant: Tenant) -> list[str]:
    return list(
        Membership.objects.filter(tenant=tenant, role=Role.OWNER)
        .order_by("created_at", "pk")
        .values_list("user__email", flat=True)
    )


def customer_idempotency_key(tenant: Tenant) -> str:
    return f"strata-customer-{tenant.public_id}"


def ensure_customer(tenant: Tenant) -> str:
    """The tenant's Stripe customer id, creating the customer the first time.

    The account row stays locked while Stripe is asked, so two requests cannot both create one,
    and the request carries an idempotency key derived from the tenant: if Stripe created the
    customer but the answer was lost (a timeout, a 500), the retry gets that same customer.
    """
    with transaction.atomic():
        account = account_for(tenant, lock=True)
        if account.stripe_customer_id:
            return account.stripe_customer_id
        emails = owner_emails(tenant)
        customer_id = stripe_client.create_customer(
            name=tenant.name,
            email=emails[0] if emails else "",
            metadata={"strata_tenant": str(tenant.public_id), "strata_slug": tenant.slug},
            idempotency_key=customer_idempotency_key(tenant),
        )
        account.stripe_customer_id = customer_id
        account.save(update_fields=["stripe_customer_id", "updated_at"])
        _forget_after_commit(account)
        return customer_id


def seats_in_use(tenant: Tenant) -> int:
    """What a subscription bills for: the workspace's members."""
    return Membership.objects.filter(tenant=tenant).count()


# --- Checkout and portal ------------------------------------------------------------------------


def start_checkout(
    tenant: Tenant, *, plan_code: str, success_url: str, cancel_url: str, attempt: str
) -> str:
    """A Stripe Checkout URL for subscribing `tenant` to a paid plan. `attempt` identifies this
    click (a retry of the same form post reuses the same Checkout session)."""
    if not billing_enabled():
        raise _refuse("Billing is not set up on this server.", "billing_off")
    try:
        plan = plan_named(plan_code)
    except Exception:
        raise _refuse(f"There is no plan called {plan_code!r}.", "plan") from None
    if plan.is_free:
        raise _refuse("The Free plan needs no checkout.", "plan")
    standing = standing_for(tenant)
    if standing.subscribed:
        raise _refuse(
            "This workspace already has a subscription; change plans in the customer portal.",
            "subscribed",
        )
    customer_id = ensure_customer(tenant)
    trial_end = standing.trial_ends_at if standing.state is State.TRIAL else None
    # Stripe wants a trial to last at least two more days; a shorter rest is not worth it.
    if trial_end is not None and trial_end - timezone.now() < timedelta(days=2):
        trial_end = None
    return stripe_client.create_checkout_session(
        customer_id=customer_id,
        price_id=plan.stripe_price_id,
        quantity=max(seats_in_use(tenant), 1),
        client_reference_id=str(tenant.public_id),
        metadata={"strata_tenant": str(tenant.public_id), "strata_plan": plan.code},
        success_url=success_url,
        cancel_url=cancel_url,
        trial_end=trial_end,
        idempotency_key=f"strata-checkout-{tenant.public_id}-{attempt}",
    )


def open_portal(tenant: Tenant, *, return_url: str) -> str:
    if not billing_enabled():
        raise _refuse("Billing is not set up on this server.", "billing_off")
    customer_id = ensure_customer(tenant)
    return stripe_client.create_portal_session(customer_id=customer_id, return_url=return_url)


def invoices_for(tenant: Tenant) -> list[stripe_client.Invoice]:
    account = BillingAccount.objects.filter(tenant=tenant).first()
    if not billing_enabled() or account is None or not account.stripe_customer_id:
        return []
    return stripe_client.invoices_of(account.stripe_customer_id)


# --- The mirror of Stripe -------------------------------------------------------------------------


def current_subscription(subscriptions: list[Subscription]) -> Subscription | None:
    """The subscription that decides the plan: a live one first, then the latest."""
    if not subscriptions:
        return None
    return min(
        subscriptions,
        key=lambda sub: (
            _STATUS_RANK.get(SubscriptionStatus(sub.status), 3),
            -sub.created.timestamp(),
        ),
    )


@dataclass
class SyncResult:
    account: BillingAccount
    changed: bool
    before: str
    after: str


def sync_account(account: BillingAccount, *, source: str, retries: int | None = None) -> SyncResult:
    """Read the customer's subscriptions from Stripe and make the account say the same.

    Runs in the caller's transaction when there is one (the webhook's), so a failure anywhere
    leaves the account as it was.
    """
    if not account.stripe_customer_id:
        return SyncResult(account, changed=False, before="", after="")
    subscriptions = stripe_client.subscriptions_of(account.stripe_customer_id, retries=retries)
    with transaction.atomic():
        locked = (
            BillingAccount.objects.select_for_update().select_related("tenant").get(pk=account.pk)
        )
        return _apply(locked, current_subscription(subscriptions), source=source)


def _apply(account: BillingAccount, sub: Subscription | None, *, source: str) -> SyncResult:
    now = timezone.now()
    before_fields = fields_of(account)
    before = standing_of(before_fields, now=now)
    plan: Plan | None = plan_for_price(sub.price_id) if sub is not None else None
    if sub is not None and plan is None:
        raise ValueError(
            f"subscription {sub.id} is on price {sub.price_id!r}, which is no plan of Strata's "
            "(check STRIPE_PRICE_PRO / STRIPE_PRICE_BUSINESS)"
        )
    status = SubscriptionStatus(sub.status) if sub is not None else SubscriptionStatus.NONE
    account.subscription_id = sub.id if sub is not None else ""
    account.subscription_status = status
    account.plan_code = plan.code if plan is not None else ""
    account.seats = sub.quantity if sub is not None else None
    account.current_period_end = sub.current_period_end if sub is not None else None
    account.cancel_at_period_end = sub.cancel_at_period_end if sub is not None else False
    account.ended_at = sub.ended_at if sub is not None else None
    if status in {SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID}:
        account.past_due_since = account.past_due_since or now
    else:
        account.past_due_since = None
        account.read_only_notified_at = None
    account.synced_at = now
    account.save()
    after = standing_of(fields_of(account), now=now)
    changed = (before.state, before.plan, before.access) != (after.state, after.plan, after.access)
    if changed or before_fields["subscription_status"] != status:
        BillingChange.objects.create(
            account=account,
            source=source[:255],
            plan_before=str(before_fields.get("plan_code") or ""),
            plan_after=account.plan_code,
            status_before=str(before_fields.get("subscription_status") or ""),
            status_after=status,
        )
        _announce(account, before_state=before.state, after_state=after.state)
    if after.writable and account.suspended_at is not None:
        _restore(account)
    _forget_after_commit(account)
    return SyncResult(account, changed=changed, before=before.state, after=after.state)


def _restore(account: BillingAccount) -> None:
    """Paying again lifts a suspension billing made, at once."""
    tenant = account.tenant
    if tenant.status == TenantStatus.SUSPENDED:
        lifecycle.tenant_reactivate(tenant, actor=BILLING_ACTOR)
    account.suspended_at = None
    account.save(update_fields=["suspended_at", "updated_at"])


# --- Emails ---------------------------------------------------------------------------------------

_NOTICES = {
    State.PAST_DUE: "payment_failed",
    State.UNPAID: "read_only",
    State.CANCELED: "canceled",
}


def _announce(account: BillingAccount, *, before_state: State, after_state: State) -> None:
    notice = _NOTICES.get(after_state)
    if notice is None and after_state is State.SUBSCRIBED and before_state in _NOTICES:
        notice = "restored"
    if notice is None or before_state == after_state:
        return
    notify_owners(account, notice)


def notify_owners(account: BillingAccount, notice: str) -> None:
    """Mail the owners; the outbox sends it after commit, so a rolled-back change sends nothing."""
    tenant = account.tenant
    recipients = owner_emails(tenant)
    if not recipients:
        return
    standing = standing_of(fields_of(account), now=timezone.now())
    context = {
        "tenant": tenant,
        "standing": standing,
        "billing_url": tenant_billing_url(tenant),
        "grace_days": settings.STRATA_BILLING_GRACE_DAYS,
        "retention_days": settings.STRATA_BILLING_RETENTION_DAYS,
    }
    send_mail(
        subject=" ".join(render_to_string(f"billing/email/{notice}_subject.txt", context).split()),
        message=render_to_string(f"billing/email/{notice}.txt", context),
        from_email=None,
        recipient_list=recipients,
    )


def tenant_billing_url(tenant: Tenant) -> str:
    return tenant_absolute_url(tenant.slug, billing_page_path())


# --- Webhooks -------------------------------------------------------------------------------------


def receive_webhook(payload: bytes, signature: str) -> WebhookEvent:
    """Verify a delivery, store its event once, and process it unless that was done already.

    stripe_client.WebhookRejectedError for a delivery that is not Stripe's (nothing is stored).
    The returned event's status says how processing went: FAILED means answer non-2xx so that
    Stripe delivers it again.
    """
    event = stripe_client.verify_event(payload, signature)
    try:
        record, _ = WebhookEvent.objects.get_or_create(
            stripe_id=event.id,
            defaults={
                "type": event.type[:100],
                "customer_id": event.customer_id[:255],
                "livemode": event.livemode,
                "stripe_created_at": event.created,
                "payload": event.payload,
            },
        )
    except IntegrityError:  # a concurrent delivery stored it first
        record = WebhookEvent.objects.get(stripe_id=event.id)
    return process_event(record.pk)


def process_event(event_pk: int) -> WebhookEvent:
    """Process a stored event at most once to completion; deliveries of the same event wait
    for each other on its row. A handler error rolls back everything the handler wrote and
    leaves the event FAILED with the error, for the next delivery (or reconcile) to retry."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_pk)
        if event.status == WebhookEventStatus.PROCESSED:
            return event
        event.attempts += 1
        try:
            with transaction.atomic():
                event.outcome = _handle(event)
        except Exception as exc:
            logger.exception("Stripe event %s (%s) failed", event.stripe_id, event.type)
            event.status = WebhookEventStatus.FAILED
            event.error = f"{type(exc).__name__}: {exc}"[:4000]
        else:
            event.status = WebhookEventStatus.PROCESSED
            event.error = ""
            event.processed_at = timezone.now()
        event.save()
        return event


def _handle(event: WebhookEvent) -> str:
    if event.type not in SYNC_EVENTS:
        return "ignored: not a type Strata handles"
    if not event.customer_id:
        return "ignored: no customer"
    # Routed by the customer id Strata stored when it created the customer; metadata is only
    # compared, since anyone with access to the Stripe dashboard can edit it.
    account = (
        BillingAccount.objects.select_related("tenant")
        .filter(stripe_customer_id=event.customer_id)
        .first()
    )
    if account is None:
        return "ignored: customer is not one of Strata's"
    event.account = account
    claimed = (event.payload.get("data", {}).get("object", {}).get("metadata") or {}).get(
        "strata_tenant"
    )
    if claimed and claimed != str(account.tenant.public_id):
        logger.warning(
            "Stripe event %s names tenant %s in metadata but its customer belongs to %s; "
            "routed by the customer",
            event.stripe_id,
            claimed,
            account.tenant.public_id,
        )
    # No network retries inline: Stripe delivers the event again if this read fails.
    result = sync_account(account, source=f"event {event.stripe_id}", retries=0)
    return f"synced: {result.before} -> {result.after}"


# --- Seats -------------------------------------------------------------------------------------


def seats_changed(tenant: Tenant) -> None:
    """Members joined or left: bring the subscription's quantity in line, after commit."""
    if not billing_enabled():
        return
    from billing.tasks import sync_seats

    tenant_id = tenant.pk
    transaction.on_commit(lambda: sync_seats.delay(tenant_id))


def sync_seats(tenant: Tenant, *, attempt: str) -> bool:
    """Set the live subscription's quantity to the members in use; True if it changed."""
    account = BillingAccount.objects.filter(tenant=tenant).first()
    if account is None or not account.stripe_customer_id:
        return False
    sub = current_subscription(stripe_client.subscriptions_of(account.stripe_customer_id))
    if sub is None or sub.status not in LIVE_STATUSES:
        return False
    wanted = max(seats_in_use(tenant), 1)
    if sub.quantity == wanted:
        return False
    stripe_client.set_subscription_quantity(
        sub, quantity=wanted, idempotency_key=f"strata-seats-{sub.id}-{attempt}"
    )
    sync_account(account, source="seats")
    return True


def cancel_for_departure(tenant: Tenant, *, attempt: str) -> bool:
    """A workspace that left (archived) is charged no more: end its live subscription now.
    True if there was one to end."""
    account = BillingAccount.objects.filter(tenant=tenant).first()
    if account is None or not account.stripe_customer_id:
        return False
    sub = current_subscription(stripe_client.subscriptions_of(account.stripe_customer_id))
    if sub is None or sub.status not in LIVE_STATUSES:
        return False
    stripe_client.cancel_subscription(sub, idempotency_key=f"strata-cancel-{sub.id}-{attempt}")
    sync_account(account, source="workspace archived")
    return True


# --- Reconciliation and enforcement -----------------------------------------------------------


@dataclass
class ReconcileReport:
    checked: int = 0
    changed: int = 0
    seats_fixed: int = 0
    failed: list[str] = field(default_factory=list)


def reconcile(
    *, run: str, progress: Callable[[int, int, Tenant], None] | None = None
) -> ReconcileReport:
    """Read every customer's subscriptions from Stripe and fix what drifted (missed webhooks,
    seat counts). One tenant failing does not stop the others; each failure is reported."""
    report = ReconcileReport()
    if not billing_enabled():  # nothing to ask; the accounts keep what Stripe last said
        return report
    accounts = (
        BillingAccount.objects.exclude(stripe_customer_id=None)
        .select_related("tenant")
        .order_by("pk")
    )
    total = accounts.count()
    for index, account in enumerate(accounts.iterator(chunk_size=200), start=1):
        if progress is not None:
            progress(index, total, account.tenant)
        report.checked += 1
        try:
            result = sync_account(account, source=f"reconcile {run}")
            report.changed += int(result.changed)
            if account.tenant.status == TenantStatus.ACTIVE and sync_seats(
                account.tenant, attempt=f"reconcile-{run}"
            ):
                report.seats_fixed += 1
        except (StripeUnavailableError, ValueError) as exc:
            logger.warning("reconcile: %s failed: %s", account.tenant.slug, exc)
            report.failed.append(f"{account.tenant.slug}: {exc}")
    return report


@dataclass
class EnforceReport:
    read_only_notices: int = 0
    suspended: int = 0


def enforce(*, now: datetime | None = None) -> EnforceReport:
    """What the clock decides: grace periods that ran out (tell the owners the workspace is now
    read-only) and canceled workspaces past retention (suspend them). Nothing while billing is
    off: every workspace then has full access, whatever its account last said."""
    report = EnforceReport()
    if not billing_enabled():
        return report
    now = now or timezone.now()
    grace = timedelta(days=settings.STRATA_BILLING_GRACE_DAYS)
    overdue = BillingAccount.objects.filter(
        subscription_status=SubscriptionStatus.PAST_DUE,
        past_due_since__lte=now - grace,
        read_only_notified_at__isnull=True,
    ).select_related("tenant")
    for account in overdue:
        with transaction.atomic():
            locked = BillingAccount.objects.select_for_update().get(pk=account.pk)
            if locked.read_only_notified_at is not None:
                continue
            locked.read_only_notified_at = now
            locked.save(update_fields=["read_only_notified_at", "updated_at"])
            notify_owners(account, "read_only")
            report.read_only_notices += 1
    retention = timedelta(days=settings.STRATA_BILLING_RETENTION_DAYS)
    expired = BillingAccount.objects.filter(
        subscription_status=SubscriptionStatus.CANCELED,
        ended_at__lte=now - retention,
        suspended_at__isnull=True,
        tenant__status=TenantStatus.ACTIVE,
    ).select_related("tenant")
    for account in expired:
        with transaction.atomic():
            locked = (
                BillingAccount.objects.select_for_update()
                .select_related("tenant")
                .get(pk=account.pk)
            )
            if locked.suspended_at is not None or standing_of(fields_of(locked), now=now).writable:
                continue
            lifecycle.tenant_suspend(
                locked.tenant,
                reason=(
                    "Billing: the subscription ended on "
                    f"{locked.ended_at:%Y-%m-%d} and was not renewed within "
                    f"{settings.STRATA_BILLING_RETENTION_DAYS} days."
                ),
                actor=BILLING_ACTOR,
            )
            locked.suspended_at = now
            locked.save(update_fields=["suspended_at", "updated_at"])
            _forget_after_commit(locked)
            report.suspended += 1
    return report
