"""Impersonation: a reason, a time limit, a banner, and both audit logs."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from shared_apps.accounts.models import User
from shared_apps.operators.models import Impersonation
from tenant_apps.audit.models import AuditAction, AuditEntry
from tenants.context import tenant_context
from tenants.models import PlatformAction, PlatformAuditEntry, Tenant, TenantStatus


def _start(console: Client, user: User, reason: str = "Ticket 4411: board empty") -> Client:
    response = console.post(
        "/operator/tenants/acme/impersonate/", {"user": user.pk, "reason": reason, "minutes": 15}
    )
    url = urlsplit(response["Location"])
    assert (url.netloc, url.path) == ("acme.localhost", "/accounts/hop/"), response["Location"]
    workspace = Client(HTTP_HOST="acme.localhost")  # the operator's browser, on acme's host
    assert workspace.get(f"{url.path}?{url.query}")["Location"] == "/"
    return workspace


def _acme_log(tenant: Tenant) -> list[tuple[str, dict[str, object]]]:
    with tenant_context(tenant):
        return list(AuditEntry.objects.order_by("pk").values_list("action", "details"))


def test_an_operator_signs_in_as_a_member_with_a_banner_and_both_logs_say_so(
    console: Client, tenant: Tenant, member: User, operator: User
) -> None:
    workspace = _start(console, member)

    page = workspace.get("/").content.decode()
    assert 'data-testid="impersonation-banner"' in page
    assert (
        "stan@strata.test</strong> (Strata operator) is signed in as <strong>mia@acme.test" in page
    )
    assert "Ticket 4411: board empty" in page
    impersonation = Impersonation.objects.get()
    started = PlatformAuditEntry.objects.get(action=PlatformAction.IMPERSONATION_STARTED)
    assert (started.actor_label, started.details["user"]) == (operator.email, member.email)
    log = _acme_log(tenant)
    assert log[0][0] == AuditAction.IMPERSONATION_STARTED
    assert log[0][1]["reason"] == "Ticket 4411: board empty"
    # The sign-in that followed is marked as part of it.
    assert log[1] == (AuditAction.LOGIN, {"impersonation": str(impersonation.public_id)})


def test_ending_it_signs_the_operator_out_and_returns_to_the_console(
    console: Client, tenant: Tenant, member: User
) -> None:
    workspace = _start(console, member)

    ended = workspace.post("/operator/impersonation/end/")

    assert ended["Location"] == "http://localhost/operator/tenants/acme/"
    assert workspace.get("/").status_code == 302  # signed out of acme
    assert Impersonation.objects.get().ended_at is not None
    assert PlatformAuditEntry.objects.filter(action=PlatformAction.IMPERSONATION_ENDED).count() == 1
    assert _acme_log(tenant)[-1][0] == AuditAction.IMPERSONATION_ENDED


def test_it_ends_by_itself_when_its_time_is_up(
    console: Client, tenant: Tenant, member: User
) -> None:
    workspace = _start(console, member)
    Impersonation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = workspace.get("/members/")

    assert response["Location"] == "http://localhost/operator/?ended=1"
    assert workspace.get("/").status_code == 302
    ended = PlatformAuditEntry.objects.get(action=PlatformAction.IMPERSONATION_ENDED)
    assert ended.details["why"] == "expired"


@pytest.mark.parametrize(
    ("who", "reason", "minutes", "message"),
    [
        ("member", "", 15, "Choose a member, give a reason"),
        ("member", "debug", 0, "Choose a member, give a reason"),
        ("member", "debug", 61, "Choose a member, give a reason"),
        ("outsider", "debug", 15, "is not a member of acme"),
        ("both", "debug", 15, None),
    ],
)
def test_impersonation_refuses_what_it_must(
    console: Client,
    tenant: Tenant,
    request: pytest.FixtureRequest,
    who: str,
    reason: str,
    minutes: int,
    message: str | None,
) -> None:
    user: User = request.getfixturevalue(who)
    if message is None:  # a member who is also staff may not be impersonated
        User.objects.filter(pk=user.pk).update(is_staff=True)
        message = "Operators cannot impersonate staff"

    response = console.post(
        "/operator/tenants/acme/impersonate/",
        {"user": user.pk, "reason": reason, "minutes": minutes},
    )

    assert response["Location"] == "/operator/tenants/acme/"
    assert message in console.get(response["Location"]).content.decode()
    assert not Impersonation.objects.exists()


def test_a_suspended_tenant_cannot_be_entered(
    console: Client, tenant: Tenant, member: User
) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(status=TenantStatus.SUSPENDED)

    response = console.post(
        "/operator/tenants/acme/impersonate/", {"user": member.pk, "reason": "x", "minutes": 5}
    )

    assert "nobody can enter it" in console.get(response["Location"]).content.decode()
    assert not Impersonation.objects.exists()


def test_an_impersonation_cannot_hop_into_other_workspaces(
    console: Client, tenant: Tenant, other_tenant: Tenant, both: User
) -> None:
    workspace = _start(console, both)  # Bea belongs to Globex too

    refused = workspace.post("/accounts/switch/globex/")

    assert refused.status_code == 403
    assert "Other workspaces are out of reach" in refused.content.decode()
