from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from tenants.context import tenant_connection
from tenants.hosts import primary_host_for_slug
from tenants.models import Domain, Membership, Tenant
from tenants.roles import Role
from tenants.slugs import normalize_slug, validate_slug

logger = logging.getLogger(__name__)

TENANT_NAME_MAX_LENGTH = Tenant._meta.get_field("name").max_length or 100


@dataclass(frozen=True)
class ProvisionedTenant:
    tenant: Tenant
    owner: AbstractBaseUser
    owner_created: bool


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


def schema_create(schema_name: str) -> None:
    """Create `schema_name` and migrate it to head, inside the caller's transaction.

    PostgreSQL DDL is transactional, so a rollback after this leaves no schema behind.
    """
    connection = tenant_connection()
    if not connection.in_atomic_block:
        # Outside a transaction django-tenants commits after migrating: no rollback possible.
        raise RuntimeError("schema_create() must run inside transaction.atomic()")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(schema_name)}")
    try:
        call_command(
            "migrate_schemas",
            tenant=True,
            schema_name=schema_name,
            interactive=False,
            verbosity=0,
        )
    finally:
        # A failed migration leaves the connection on a schema the rollback is about to remove.
        connection.set_schema_to_public()


def tenant_provision(*, slug: str, name: str, owner_email: str) -> ProvisionedTenant:
    """Create a tenant with its schema, primary domain and owner, all or nothing."""
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
                owner = user_model._default_manager.create_user(email=owner_email)
            tenant = Tenant.objects.create(slug=slug, name=name)
            schema_create(tenant.schema_name)
            Domain.objects.create(
                tenant=tenant, domain=primary_host_for_slug(slug), is_primary=True
            )
            Membership.objects.create(user=owner, tenant=tenant, role=Role.OWNER)
    except IntegrityError:
        # Lost a race to a concurrent provisioning: for the slug or its host (say which), or for
        # the same new owner. Nothing of this attempt remains either way.
        tenant_slug_clean(slug)
        raise ValidationError(
            "Another workspace was being created with the same owner at the same moment; "
            "nothing was created. Try again.",
            code="conflict",
        ) from None
    logger.info("provisioned tenant %s (%s)", slug, tenant.schema_name)
    return ProvisionedTenant(tenant=tenant, owner=owner, owner_created=owner_created)
