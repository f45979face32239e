"""Signals the tenancy core sends, for apps that must react without tenants importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the provisioning transaction, once the tenant, its schema, domain and owner's
# membership exist: receivers' writes commit or roll back with it.
# Arguments: tenant, owner, request (or None).
tenant_provisioned = Signal()

# Sent inside the transaction of a lifecycle change (tenants.lifecycle), while the tenant exists.
# Arguments: tenant, action (a PlatformAction value), actor (a user or None), request (or
# None), and the action's details as keyword arguments.
tenant_lifecycle_changed = Signal()
