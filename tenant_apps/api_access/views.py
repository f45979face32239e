"""Settings → API keys: admins create keys (the whole key is shown once), see their prefix,
scope and last use, and revoke them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from billing.catalog import Feature
from billing.entitlements import PlanLimitError, feature_refusal
from shared_apps.accounts.models import User
from tenant_apps.api_access.models import ApiKey, Scope
from tenant_apps.api_access.services import IssuedKey, api_key_create, api_key_revoke
from tenants.access import TenantView
from tenants.roles import Permission

EXPIRY_CHOICES = [("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"), ("", "Never")]


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": "CI pipeline"}),
        help_text="What will use the key, so you know which to revoke.",
    )
    scope = forms.ChoiceField(
        label="Scope",
        choices=Scope.choices,
        initial=Scope.READ,
        help_text="Read: list and fetch. Read and write: also create, change and delete.",
    )
    expires_in = forms.ChoiceField(
        label="Expires", choices=EXPIRY_CHOICES, initial="90", required=False
    )


class ApiKeysView(TenantView):
    required_permission = Permission.WORKSPACE_MANAGE

    def _page(
        self,
        request: HttpRequest,
        *,
        form: ApiKeyForm | None = None,
        issued: IssuedKey | None = None,
        status: int = 200,
    ) -> HttpResponse:
        keys = list(ApiKey.objects.all())
        creators = User.objects.in_bulk({k.created_by_id for k in keys if k.created_by_id})
        return render(
            request,
            "api_access/keys.html",
            {
                "keys": [(key, creators.get(key.created_by_id or 0)) for key in keys],
                "form": form or ApiKeyForm(),
                "issued": issued,
                # On a plan without API keys: the upgrade message in place of the form.
                "plan_limit": feature_refusal(self.tenant, Feature.API_ACCESS),
            },
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApiKeyForm(request.POST)
        if not form.is_valid():
            return self._page(request, form=form, status=400)
        days = form.cleaned_data["expires_in"]
        try:
            issued = api_key_create(
                tenant=self.tenant,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=timezone.now() + timedelta(days=int(days)) if days else None,
                actor=self.membership.user,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self._page(request, form=form, status=400)
        except PlanLimitError as exc:
            form.add_error(None, exc.message)
            return self._page(request, form=form, status=402)
        # The whole key is in this response only: never cached, never in a redirect.
        response = self._page(request, issued=issued, status=201)
        add_never_cache_headers(response)
        return response


class RevokeApiKeyView(TenantView):
    required_permission = Permission.WORKSPACE_MANAGE

    def post(self, request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
        key = get_object_or_404(ApiKey, public_id=public_id)
        try:
            api_key_revoke(key=key, actor=self.membership.user, request=request)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, f"{key} is revoked; requests with it now get 401.")
        return HttpResponseRedirect(reverse("api_access:keys"))
