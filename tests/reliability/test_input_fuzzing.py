"""Names from outside (subdomains, Host headers, custom domains) fuzzed: only valid ones get
through, and no input reaches the database as anything but a value (never an SQL error, never
a 500)."""

from __future__ import annotations

import re
import string

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django import Settings

from shared_apps.accounts.models import User
from tenants.domains import custom_domain_add
from tenants.hosts import is_dns_name
from tenants.models import Domain, Tenant
from tenants.slugs import RESERVED_SLUGS, SLUG_MAX_LENGTH, normalize_slug, validate_slug
from tests.conftest import ClientFactory
from tests.reliability.conftest import sized

# The same cases on every run (CI must not find a new one by chance); no example database; the
# Django fixtures are per test, which is what these tests want (each example sees the same
# world), and a sign-up is slow by hypothesis's measure.
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# ARCHITECTURE.md's rule for a subdomain.
VALID_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")

# What attackers and mistakes send: quotes, SQL, unicode look-alikes, punycode, separators.
_SEEDS = [
    *sorted(RESERVED_SLUGS),
    "xn--80ak6aa92e",
    "xn--acm-bpa",
    "acme'; DROP SCHEMA public CASCADE; --",
    'acme"',
    "acmé",
    "\u0430cme",  # begins with a Cyrillic a
    "acme\x00",
    "ACME",
    " acme ",
    "a" * SLUG_MAX_LENGTH,
    "a" * (SLUG_MAX_LENGTH + 1),
    "-acme",
    "acme-",
    "ab--cd",
    "pg_catalog",
    "public",
    "information_schema",
]
slugs = st.one_of(
    st.sampled_from(_SEEDS),
    st.text(max_size=80),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.'\" ;", max_size=70),
)


@given(raw=slugs)
@settings(FUZZ, max_examples=800)
def test_only_dns_labels_that_are_not_reserved_pass_as_slugs(raw: str) -> None:
    slug = normalize_slug(raw)
    try:
        validate_slug(slug)
    except ValidationError as refused:
        messages = refused.messages
    else:
        messages = []
    if messages:  # refused, saying why
        assert all(message.strip() for message in messages)
        return
    assert VALID_SLUG.match(slug), slug
    assert slug not in RESERVED_SLUGS
    assert slug[2:4] != "--"  # no punycode look-alikes


@pytest.mark.django_db(transaction=False)
@given(raw=slugs)
@settings(FUZZ, max_examples=40)
def test_sign_up_with_any_subdomain_is_a_workspace_or_a_form_error(
    client: Client, settings: Settings, raw: str
) -> None:
    """The sign-up form on the apex: a valid subdomain makes a workspace on exactly that
    name; anything else is the form again with a field error (400), and no tenant."""
    settings.ACCOUNT_RATE_LIMITS = False  # one address signs up many times here
    before = Tenant.objects.count()
    answer = client.post(
        "/signup/",
        {
            "name": "Fuzzed",
            "subdomain": raw,
            "email": "fuzz@example.test",
            "password": "a long and unusual passphrase",
        },
        HTTP_HOST="localhost",
    )

    assert answer.status_code in {302, 400}, (raw, answer.status_code)
    if answer.status_code == 400:
        assert "subdomain" in answer.context["form"].errors
        assert Tenant.objects.count() == before
    else:
        made = Tenant.objects.latest("pk")
        assert VALID_SLUG.match(made.slug)
        assert made.slug == normalize_slug(raw)


# --- Host headers -------------------------------------------------------------------------------

MALFORMED_HOSTS = [
    "",
    "evil.com",
    "localhost.evil.com",
    "acme.localhost.evil.com",
    "acme.localhost@evil.com",
    "acme.localhost:80@evil.com",
    "acme.localhost\r\nX-Injected: 1",
    "acme.localhost/../x",
    "acme.localhost%00",
    "acme.localhost:abc",
    "acme.localhost:99999",
    "localhost:80:80",
    "[::1]",
    "127.0.0.1",
    "acmé.localhost",
    "acme..localhost",
    ".localhost",
    "-acme.localhost",
    "acme-.localhost",
    "xn--.localhost",
    "a" * 64 + ".localhost",
    ("a" * 60 + ".") * 5 + "localhost",
]


@pytest.mark.parametrize("host", MALFORMED_HOSTS)
def test_a_malformed_or_foreign_host_is_a_bad_request(host: str, tenant: Tenant) -> None:
    answer = Client(HTTP_HOST=host).get("/")

    assert answer.status_code == 400, (host, answer.status_code)
    assert tenant.name not in answer.content.decode()


@pytest.mark.parametrize("host", ["nosuch.localhost", "a.b.localhost", "xn--acm-bpa.localhost"])
def test_a_well_formed_unknown_subdomain_is_a_404_that_names_no_tenant(
    host: str, tenant: Tenant
) -> None:
    answer = Client(HTTP_HOST=host).get("/")

    assert answer.status_code == 404
    assert tenant.name not in answer.content.decode()


hosts = st.one_of(
    st.text(max_size=300),
    st.builds(
        "{}.localhost".format,
        st.text(alphabet=string.ascii_lowercase + string.digits + "-.", max_size=80),
    ),
)


@pytest.mark.django_db
@given(host=hosts)
@settings(FUZZ, max_examples=300)
def test_any_host_header_is_answered_without_a_server_error(host: str) -> None:
    """Whatever the Host header: 400 when it is not a DNS name, and never a 500."""
    answer = Client(HTTP_HOST=host, raise_request_exception=False).get("/")

    assert answer.status_code < 500, (host, answer.status_code)
    name = host.lower().rsplit(":", 1)[0] if ":" in host and "]" not in host else host.lower()
    if not is_dns_name(name.rstrip(".")):
        assert answer.status_code == 400, (host, answer.status_code)


# --- Custom domains -----------------------------------------------------------------------------

# What an admin might type for their own domain, and what an attacker would: the platform's own
# names, addresses, look-alikes, punycode, separators, quotes and SQL, lengths at the limits.
_DOMAIN_SEEDS = [
    "tasks.acme-corp.test",
    " TASKS.Acme-Corp.TEST. ",
    "tasks.acme-corp.test..",
    "tasks.acme-corp.test:8443",
    "https://tasks.acme-corp.test/",
    "admin@tasks.acme-corp.test",
    "*.acme-corp.test",
    "localhost",
    "LOCALHOST.",
    "acme.localhost",
    "ACME.LOCALHOST.",
    "www.localhost",
    "deep.globex.localhost",
    "localhost.localhost",
    "127.0.0.1",
    "127.0.0.1.",
    "0x7f.0.0.1",
    "[::1]",
    "::1",
    "10.0.0.1.nip.io",
    "xn--80ak6aa92e.com",
    "xn--pple-43d.com",  # "apple.com" with a Cyrillic first letter
    "xn--.com",
    "tasks.xn--p1ai",
    "\u0430pple.com",
    "bücher.example",
    "ex\u00adample.com",  # a soft hyphen
    "ｅxample.com",  # fullwidth
    "example\u3002com",  # an ideographic full stop
    "evil.com'--",
    "a.com'; DROP TABLE tenants_domain; --",
    '"quoted".example.com',
    "tasks.example.com\x00",
    "tasks\n.acme-corp.test",
    "tasks.example.com\r\nHost: evil.com",
    "tasks.example.com/../x",
    "example..com",
    ".example.com",
    "-tasks.example.com",
    "tasks-.example.com",
    "tasks.example.123",
    "a" * 63 + ".example.com",
    "a" * 64 + ".example.com",
    ".".join(["a" * 61] * 4) + ".com",  # 251 characters
    ".".join(["a" * 62] * 4) + ".com",  # 255 characters
    "",
    "   ",
]
_DOMAIN_TEXT = string.ascii_letters + string.digits + "-.:_@/[]*'\" "
domains = st.one_of(
    st.sampled_from(_DOMAIN_SEEDS),
    st.text(max_size=300),
    st.text(alphabet=_DOMAIN_TEXT, max_size=80),
    st.lists(
        st.text(alphabet=string.ascii_lowercase + string.digits + "-", min_size=1, max_size=70),
        min_size=1,
        max_size=5,
    ).map(".".join),
)
VALID_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})\Z")


def _is_dns_name_outside_the_platform(host: str) -> bool:
    """A name an admin may bring: lower-case DNS labels, two or more, a top-level label that is
    no number, 253 characters at most, neither the apex nor under it, no IP address."""
    labels = host.split(".")
    return (
        len(host) <= 253
        and len(labels) >= 2
        and all(VALID_SLUG.match(label) for label in labels)
        and bool(VALID_TLD.match(labels[-1]))
        and host != "localhost"
        and not host.endswith(".localhost")
    )


@pytest.mark.django_db(transaction=False)
@given(raw=domains)
@settings(FUZZ, max_examples=sized(300, 3000))
def test_any_custom_domain_given_to_the_service_is_a_dns_name_or_a_validation_error(
    tenant: Tenant, raw: str
) -> None:
    """custom_domain_add, what every caller reaches: a valid name outside the platform is
    stored as its lower-case form; anything else is a ValidationError with a message, and
    nothing is stored. Never a database error."""
    with transaction.atomic():  # each example from the same domains (there is a limit of 5)
        before = Domain.objects.count()
        try:
            domain = custom_domain_add(tenant, raw)
        except ValidationError as refused:
            messages = refused.messages
        else:
            messages = []
        if messages:  # refused, saying why
            assert all(message.strip() for message in messages), raw
            assert Domain.objects.count() == before, raw
        else:
            assert _is_dns_name_outside_the_platform(domain.domain), (raw, domain.domain)
            assert domain.domain == raw.strip().lower().rstrip("."), raw
            assert (domain.tenant_id, domain.verified_at) == (tenant.pk, None)
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=False)
@given(raw=domains)
@settings(FUZZ, max_examples=sized(60, 600))
def test_any_custom_domain_typed_in_the_settings_page_is_added_or_a_field_error(
    client_on: ClientFactory, tenant: Tenant, admin: User, raw: str
) -> None:
    """The page that adds domains (an admin of Acme): a redirect to the list with the domain
    added, or the form again (400) with an error on the domain field and nothing stored."""
    page = client_on(tenant, admin)
    with transaction.atomic():
        before = Domain.objects.count()
        answer = page.post("/settings/domains/", {"domain": raw})

        assert answer.status_code in {302, 400}, (raw, answer.status_code)
        if answer.status_code == 400:
            assert answer.context["form"].errors["domain"], raw
            assert Domain.objects.count() == before, raw
        else:
            added = Domain.objects.exclude(verification_token="").get(tenant=tenant)
            assert _is_dns_name_outside_the_platform(added.domain), (raw, added.domain)
        transaction.set_rollback(True)
