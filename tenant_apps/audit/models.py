from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Now


class AuditAction(models.TextChoices):
    LOGIN = "auth.login", "Signed in"
    LOGIN_FAILED = "auth.login_failed", "Failed sign-in"
    MFA_ENABLED = "mfa.enabled", "Two-factor enabled"
    MFA_DISABLED = "mfa.disabled", "Two-factor disabled"
    MEMBER_JOINED = "member.joined", "Member joined"
    MEMBER_ROLE_CHANGED = "member.role_changed", "Role changed"
    MEMBER_REMOVED = "member.removed", "Member removed"
    MEMBER_LEFT = "member.left", "Member left"
    OWNERSHIP_TRANSFERRED = "ownership.transferred", "Ownership transferred"
    INVITATION_SENT = "invitation.sent", "Invitation sent"
    INVITATION_RESENT = "invitation.resent", "Invitation resent"
    INVITATION_REVOKED = "invitation.revoked", "Invitation revoked"
    INVITATION_ACCEPTED = "invitation.accepted", "Invitation accepted"
    WORKSPACE_CREATED = "workspace.created", "Workspace created"
    WORKSPACE_SUSPENDED = "workspace.suspended", "Workspace suspended"
    WORKSPACE_REACTIVATED = "workspace.reactivated", "Workspace reactivated"
    WORKSPACE_RENAMED = "workspace.renamed", "Subdomain changed"
    WORKSPACE_ARCHIVED = "workspace.archived", "Workspace archived"
    WORKSPACE_RESTORED = "workspace.restored", "Workspace restored"
    WORKSPACE_EXPORTED = "workspace.exported", "Workspace exported"
    DOMAIN_ADDED = "domain.added", "Domain added"
    DOMAIN_VERIFIED = "domain.verified", "Domain verified"
    DOMAIN_REMOVED = "domain.removed", "Domain removed"
    IMPERSONATION_STARTED = "impersonation.started", "Operator impersonation started"
    IMPERSONATION_ENDED = "impersonation.ended", "Operator impersonation ended"
    PROJECT_CREATED = "project.created", "Project created"
    PROJECT_UPDATED = "project.updated", "Project updated"
    PROJECT_ARCHIVED = "project.archived", "Project archived"
    PROJECT_RESTORED = "project.restored", "Project restored"
    TASK_CREATED = "task.created", "Task created"
    TASK_UPDATED = "task.updated", "Task updated"
    TASK_DELETED = "task.deleted", "Task deleted"
    COMMENT_ADDED = "comment.added", "Comment added"
    COMMENT_DELETED = "comment.deleted", "Comment deleted"
    ATTACHMENT_ADDED = "attachment.added", "Attachment added"
    ATTACHMENT_DELETED = "attachment.deleted", "Attachment deleted"
    LABEL_CREATED = "label.created", "Label created"
    LABEL_DELETED = "label.deleted", "Label deleted"
    API_KEY_CREATED = "api_key.created", "API key created"
    API_KEY_REVOKED = "api_key.revoked", "API key revoked"
    AUDIT_EXPORTED = "audit.exported", "Audit log exported"


class AuditEntry(models.Model):
    """Who did what in this workspace, when, and from where. Written once, never edited."""

    created_at = models.DateTimeField(db_default=Now(), editable=False)
    # The person who acted, and their address at the time: the entry outlives the account.
    # No database constraint and no cascade: users live in the public schema, this table in
    # each tenant's, and deleting a user must not have to visit every tenant schema.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64, choices=AuditAction.choices)
    target_label = models.CharField(max_length=254, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[Sequence[str]] = ["-created_at", "-pk"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["-created_at"], name="audit_entry_recent"),
            models.Index(fields=["action", "-created_at"], name="audit_entry_action"),
            models.Index(fields=["actor", "-created_at"], name="audit_entry_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"
