from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tenants.slugs import RESERVED_SLUGS, normalize_slug, validate_slug


@pytest.mark.parametrize("slug", ["acme", "a", "acme-corp", "x1", "9lives", "a" * 63])
def test_dns_labels_are_accepted(slug: str) -> None:
    validate_slug(slug)


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("", "Choose a subdomain."),
        ("a" * 64, "at most 63 characters"),
        ("-acme", "starting and ending with a letter or digit"),
        ("acme-", "starting and ending with a letter or digit"),
        ("ac_me", "Use only lowercase letters"),
        ("ac.me", "Use only lowercase letters"),
        ("Acme", "Use only lowercase letters"),
        ("acmé", "Use only lowercase letters"),
        ("xn--80ak6aa92e", "third and fourth"),
        ("ab--cd", "third and fourth"),
        ("acme\n", "Use only lowercase letters"),
        ("acme corp", "Use only lowercase letters"),
    ],
)
def test_invalid_slugs_are_refused_with_the_reason(slug: str, message: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_slug(slug)

    assert message in " ".join(excinfo.value.messages)


@pytest.mark.parametrize(
    "slug",
    [
        "x'; drop table tenants_tenant; --",
        'acme"; select 1; --',
        "acme\x00",
        "public",
        "pg_catalog",
        "../../etc",
        "<script>",
        "$(reboot)",
    ],
)
def test_injection_shaped_slugs_are_refused(slug: str) -> None:
    with pytest.raises(ValidationError):
        validate_slug(normalize_slug(slug))


@pytest.mark.parametrize(
    "slug", ["www", "api", "admin", "app", "static", "media", "mail", "billing", "status"]
)
def test_reserved_names_are_refused_and_named(slug: str) -> None:
    assert slug in RESERVED_SLUGS
    with pytest.raises(ValidationError, match=f"“{slug}” is reserved"):
        validate_slug(slug)


def test_slugs_are_compared_in_lower_case() -> None:
    assert normalize_slug("  AcMe ") == "acme"
