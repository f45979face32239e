"""Names from outside (subdomains, Host headers) fuzzed: only valid ones get through, and no
input reaches the database as anything but a value (never an SQL error, never a 500)."""

from __future__ import annotations

import re
import string

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django import Settings

from tenants.hosts import is_dns_name
from tenants.models import Tenant
from tenants.slugs import RESERVED_SLUGS, SLUG_MAX_LENGTH, normalize_slug, validate_slug

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
