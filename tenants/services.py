from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from tenants.hosts import primary_host_for_slug
from tenants.models import Domain, Membership, Tenant
from tenants.pool import schema_claim
from tenants.roles import Role
from tenants.signals import tenant_provisioned
from tenants.slugs import normalize_slug, validate_slug

logger = logging.getLogger(__name__)

TENANT_NAME_MAX_LENGTH = Tenant._meta.get_field("name").max_length or 100


@dataclass(frozen=True)
class ProvisionedTenant:
    tenant: Tenant
    owner: AbstractBaseUser
    owner_created: bool
    schema_source: str  # "pool" or "blueprint" (tenants.pool)


def tenant_slug_clean(slug: str) -> str:
    """The normalized slug if it is valid and free, else ValidationError naming the reason."""
    slug = normalize_slug(slug)
    validate_slug(slug)
    if (
        Tenant.objects.filter(slug=slug).exists()
        or Domain.objects.filter(domain=primary_host_for_slug(slug)).exists()
    ):
        raise ValidationError(f"“{slug}” is already taken. Choose another subdomain.", code="taken")
    return slug


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Give the workspace a name.", code="required")
    if len(name) > TENANT_NAME_MAX_LENGTH:
        raise ValidationError(
            f"A workspace name has at most {TENANT_NAME_MAX_LENGTH} characters.", code="max_length"
        )
    return name


def _clean_email(email: str) -> str:
    email = email.strip().lower()
    validate_email(email)
    return email


def tenant_provision(
    *,
    slug: str,
    name: str,
    owner_email: str,
    owner_password: str | None = None,
    request: HttpRequest | None = None,
) -> ProvisionedTenant:
    """Create a tenant with its schema, primary domain and owner, all or nothing.

    The schema is a spare from the pool or the blueprint replayed (tenants.pool): no migration
    runs here, so this is fit for a request. `owner_password` is set only on an owner account
    created here; an existing account keeps its own.
    """
    name = _clean_name(name)
    try:
        owner_email = _clean_email(owner_email)
    except ValidationError:
        raise ValidationError("Enter a valid owner email address.", code="invalid_email") from None
    slug = tenant_slug_clean(slug)

    user_model = get_user_model()
    try:
        with transaction.atomic():
            owner = user_model._default_manager.filter(email=owner_email).first()
            owner_created = owner is None
            if owner is None:
                owner = user_model._default_manager.create_user(
                    email=owner_email, password=owner_password
                )
            schema = schema_claim()
            tenant = Tenant.objects.create(slug=slug, name=name, schema_name=schema.name)
            Domain.objects.create(
                tenant=tenant, domain=primary_host_for_slug(slug), is_primary=True
            )
            Membership.objects.create(user=owner, tenant=tenant, role=Role.OWNER)
            tenant_provisioned.send(Tenant, tenant=tenant, owner=owner, request=request)
    except IntegrityError:
        # Lost a race to a concurrent provisioning: for the slug or its host (say which), or for
        # the same new owner. Nothing of this attempt remains either way.
        tenant_slug_clean(slug)
        raise ValidationError(
            "Another workspace was being created with the same owner at the same moment; "
            "nothing was created. Try again.",
            code="conflict",
        ) from None
    logger.info("provisioned tenant %s (%s, from the %s)", slug, tenant.schema_name, schema.source)
    return ProvisionedTenant(
        tenant=tenant, owner=owner, owner_created=owner_created, schema_source=schema.source
    )
