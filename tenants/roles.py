"""Roles and the one permission map every tenant view and API checks."""

from __future__ import annotations

import enum

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


class Permission(enum.StrEnum):
    WORKSPACE_VIEW = "workspace.view"
    CONTENT_WRITE = "content.write"
    MEMBERS_MANAGE = "members.manage"
    WORKSPACE_MANAGE = "workspace.manage"
    AUDIT_VIEW = "audit.view"
    BILLING_MANAGE = "billing.manage"
    OWNERSHIP_TRANSFER = "ownership.transfer"


_VIEWER = frozenset({Permission.WORKSPACE_VIEW})
_MEMBER = _VIEWER | {Permission.CONTENT_WRITE}
_ADMIN = _MEMBER | {Permission.MEMBERS_MANAGE, Permission.WORKSPACE_MANAGE, Permission.AUDIT_VIEW}
_OWNER = _ADMIN | {Permission.BILLING_MANAGE, Permission.OWNERSHIP_TRANSFER}

# Keyed by the stored value (Role is a str), so a role read from the database looks up as is.
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.VIEWER: _VIEWER,
    Role.MEMBER: _MEMBER,
    Role.ADMIN: _ADMIN,
    Role.OWNER: _OWNER,
}


def role_has_permission(role: str, permission: Permission) -> bool:
    """Whether `role` carries `permission`; an unknown role carries nothing."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
