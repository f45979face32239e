from __future__ import annotations

from django import forms

from shared_apps.operators.services import IMPERSONATION_MAX_MINUTES
from tenants.lifecycle import REASON_MAX_LENGTH
from tenants.models import TenantStatus
from tenants.slugs import SLUG_MAX_LENGTH


class TenantSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *TenantStatus.choices], label="Status"
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=REASON_MAX_LENGTH, required=False)


class RenameForm(forms.Form):
    slug = forms.CharField(max_length=SLUG_MAX_LENGTH + 1, label="New subdomain")


class PurgeForm(forms.Form):
    confirm = forms.CharField(max_length=SLUG_MAX_LENGTH + 1, label="Type the subdomain to confirm")


class ProvisionForm(forms.Form):
    name = forms.CharField(max_length=100, label="Workspace name")
    slug = forms.CharField(max_length=SLUG_MAX_LENGTH + 1, label="Subdomain")
    owner_email = forms.EmailField(max_length=254, label="Owner's email")


class ImpersonateForm(forms.Form):
    user = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=REASON_MAX_LENGTH, label="Reason")
    minutes = forms.IntegerField(
        min_value=1, max_value=IMPERSONATION_MAX_MINUTES, initial=15, label="Minutes"
    )


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="What will use it")
    days = forms.IntegerField(
        min_value=1, max_value=365, required=False, label="Expires after (days, optional)"
    )


class UserSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=254, label="Email")


class ImportForm(forms.Form):
    archive = forms.FileField(label="Export zip")
    slug = forms.CharField(max_length=SLUG_MAX_LENGTH + 1, label="New subdomain")
    name = forms.CharField(max_length=100, label="Workspace name")
    owner_email = forms.EmailField(
        max_length=254, required=False, label="Owner's email (default: the export's owner)"
    )
