"""Signals the tenancy core sends, for apps that must react without tenants importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the provisioning transaction, once the tenant, its schema, domain and owner's
# membership exist: receivers' writes commit or roll back with it.
# Arguments: tenant, owner, request (or None).
tenant_provisioned = Signal()
