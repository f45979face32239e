"""Billing lives in the public schema: one account per tenant mirroring its Stripe customer and
subscription, the webhook events Stripe sent, and the history of each account's standing."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models.functions import Now

from tenants.models import Tenant


class SubscriptionStatus(models.TextChoices):
    """Stripe's subscription statuses, and NONE for a workspace that never subscribed."""

    NONE = "", "No subscription"
    INCOMPLETE = "incomplete", "Incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete (expired)"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    UNPAID = "unpaid", "Unpaid"
    CANCELED = "canceled", "Canceled"
    PAUSED = "paused", "Paused"


class BillingAccount(models.Model):
    """A tenant's billing: its Stripe customer (created once) and a mirror of the subscription
    that decides its plan. Written only by billing.services, from what Stripe says."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="billing_account")
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The trial with no card that every new workspace gets (None: no trial).
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)

    # The subscription that counts, as last read from Stripe.
    subscription_id = models.CharField(max_length=255, blank=True)
    subscription_status = models.CharField(
        max_length=32, choices=SubscriptionStatus.choices, blank=True
    )
    plan_code = models.CharField(max_length=32, blank=True)
    seats = models.PositiveIntegerField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    ended_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    # When Strata first saw the subscription unpaid; the grace period counts from here.
    past_due_since = models.DateTimeField(null=True, blank=True)
    # When the owners were told the grace period is over (once per unpaid spell).
    read_only_notified_at = models.DateTimeField(null=True, blank=True)
    # When billing (not an operator) suspended the tenant; paying again reactivates it.
    suspended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=models.Q(subscription_status__in=SubscriptionStatus.values),
                name="billing_account_subscription_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"billing of {self.tenant_id}"


class WebhookEventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"


class WebhookEvent(models.Model):
    """One Stripe event, stored once however often Stripe delivers it."""

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    status = models.CharField(
        max_length=16, choices=WebhookEventStatus.choices, default=WebhookEventStatus.RECEIVED
    )
    # What processing did ("subscription synced", "ignored: not a type Strata handles").
    outcome = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    customer_id = models.CharField(max_length=255, blank=True)
    account = models.ForeignKey(
        BillingAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    livemode = models.BooleanField(default=False)
    # When Stripe created the event, and the event as Stripe sent it.
    stripe_created_at = models.DateTimeField()
    payload = models.JSONField()
    received_at = models.DateTimeField(db_default=Now(), editable=False)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=models.Q(status__in=WebhookEventStatus.values),
                name="billing_webhookevent_status_valid",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "received_at"], name="billing_event_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id} ({self.status})"


class BillingChange(models.Model):
    """The history of an account: each time what Stripe says changed its plan or standing."""

    account = models.ForeignKey(BillingAccount, on_delete=models.CASCADE, related_name="changes")
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    # What caused it: a webhook event's id, "reconcile", "checkout return".
    source = models.CharField(max_length=255)
    plan_before = models.CharField(max_length=32, blank=True)
    plan_after = models.CharField(max_length=32, blank=True)
    status_before = models.CharField(max_length=32, blank=True)
    status_after = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self.status_before or 'none'} -> {self.status_after or 'none'}"
