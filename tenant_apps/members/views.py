from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from shared_apps.accounts.models import User
from shared_apps.accounts.services import (
    account_for_address,
    sign_in_through_allauth,
    user_email_mark_verified,
)
from tenant_apps.members import services
from tenant_apps.members.forms import (
    AcceptWithNewAccountForm,
    AcceptWithPasswordForm,
    InviteForm,
    RoleForm,
)
from tenant_apps.members.models import Invitation, InvitationStatus
from tenants.access import TenantView
from tenants.hosts import public_site_url
from tenants.models import Membership
from tenants.roles import Permission, Role, role_has_permission

MEMBERS = "members:list"
# The invitation an existing account is signing in to accept (see JoinAfterSignInView).
PENDING_INVITATION = "strata_pending_invitation"


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


class MembersView(TenantView):
    """Everyone sees who is in the workspace; admins manage members and invitations here."""

    def get(self, request: HttpRequest, invite_form: InviteForm | None = None) -> HttpResponse:
        can_manage = role_has_permission(self.membership.role, Permission.MEMBERS_MANAGE)
        members = (
            Membership.objects.filter(tenant=self.tenant)
            .select_related("user")
            .order_by("user__full_name", "user__email")
        )
        invitations = (
            Invitation.objects.filter(status=InvitationStatus.PENDING) if can_manage else []
        )
        return render(
            request,
            "members/members.html",
            {
                "members": members,
                "invitations": invitations,
                "can_manage": can_manage,
                "can_transfer": self.membership.role == Role.OWNER,
                "invite_form": invite_form or InviteForm(),
                "role_choices": [(role.value, role.label) for role in services.INVITABLE_ROLES],
            },
            status=400 if invite_form is not None and invite_form.errors else 200,
        )


class InviteView(MembersView):
    required_permission = Permission.MEMBERS_MANAGE

    def post(self, request: HttpRequest) -> HttpResponse:
        form = InviteForm(request.POST)
        if form.is_valid():
            try:
                services.invitation_send(
                    tenant=self.tenant,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    acting_user=self.membership.user,
                    request=request,
                )
            except ValidationError as exc:
                form.add_error("email", exc)
            else:
                messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
                return HttpResponseRedirect(reverse(MEMBERS))
        return self.get(request, invite_form=form)


class _MemberAction(TenantView):
    required_permission = Permission.MEMBERS_MANAGE

    def target(self, public_id: UUID) -> Membership:
        return get_object_or_404(
            Membership.objects.select_related("user"), tenant=self.tenant, public_id=public_id
        )


class ChangeRoleView(_MemberAction):
    def post(self, request: HttpRequest, public_id: UUID) -> HttpResponse:
        target = self.target(public_id)
        form = RoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose admin, member or viewer.")
            return HttpResponseRedirect(reverse(MEMBERS))
        try:
            services.membership_change_role(
                membership=target,
                role=form.cleaned_data["role"],
                acting=self.membership,
                request=request,
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(
                request, f"{target.user.email} is now {target.get_role_display().lower()}."
            )
        return HttpResponseRedirect(reverse(MEMBERS))


class RemoveMemberView(_MemberAction):
    def post(self, request: HttpRequest, public_id: UUID) -> HttpResponse:
        target = self.target(public_id)
        try:
            services.membership_remove(membership=target, acting=self.membership, request=request)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"{target.user.email} was removed from {self.tenant.name}.")
        return HttpResponseRedirect(reverse(MEMBERS))


class TransferOwnershipView(_MemberAction):
    required_permission = Permission.OWNERSHIP_TRANSFER

    def post(self, request: HttpRequest, public_id: UUID) -> HttpResponse:
        target = self.target(public_id)
        try:
            services.ownership_transfer(to=target, acting=self.membership, request=request)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(
                request, f"{target.user.email} now owns {self.tenant.name}; you are an admin."
            )
        return HttpResponseRedirect(reverse(MEMBERS))


class LeaveView(TenantView):
    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            services.membership_leave(membership=self.membership, request=request)
        except ValidationError as exc:
            _errors(request, exc)
            return HttpResponseRedirect(reverse(MEMBERS))
        logout(request)
        return HttpResponseRedirect(public_site_url(request, "/accounts/"))


class _InvitationAction(TenantView):
    required_permission = Permission.MEMBERS_MANAGE

    def invitation(self, public_id: UUID) -> Invitation:
        return get_object_or_404(Invitation, public_id=public_id)


class ResendInvitationView(_InvitationAction):
    def post(self, request: HttpRequest, public_id: UUID) -> HttpResponse:
        invitation = self.invitation(public_id)
        try:
            services.invitation_resend(
                invitation=invitation,
                tenant=self.tenant,
                acting_user=self.membership.user,
                request=request,
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"Invitation sent again to {invitation.email}.")
        return HttpResponseRedirect(reverse(MEMBERS))


class RevokeInvitationView(_InvitationAction):
    def post(self, request: HttpRequest, public_id: UUID) -> HttpResponse:
        invitation = self.invitation(public_id)
        try:
            services.invitation_revoke(
                invitation=invitation, acting_user=self.membership.user, request=request
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
        return HttpResponseRedirect(reverse(MEMBERS))


class AcceptInvitationView(TenantView):
    """The link in an invitation email: join with a new account, or with an existing one."""

    dangerously_allow_non_members = True  # the token is the credential; checked in services

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = self._open_invitation(token)
        if isinstance(invitation, HttpResponse):
            return invitation
        return self._form_page(request, invitation, self._form(request, invitation))

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = self._open_invitation(token)
        if isinstance(invitation, HttpResponse):
            return invitation
        form = self._form(request, invitation, data=request.POST)
        if isinstance(form, AcceptWithPasswordForm):
            if form.is_valid() and form.user is not None:
                return self._sign_in_then_join(request, invitation, form.user)
        elif form.is_valid():
            try:
                user = services.invitation_accept_as_new_user(
                    invitation=invitation,
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["password1"],
                    tenant=self.tenant,
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome to {self.tenant.name}.")
                return HttpResponseRedirect("/")
        return self._form_page(request, invitation, form, status=400)

    def _sign_in_then_join(
        self, request: HttpRequest, invitation: Invitation, user: User
    ) -> HttpResponse:
        """An existing account signs in the way the sign-in page does, two-factor step
        included; the invitation turns into a membership only once that is done."""
        if user.email == invitation.email:
            # The link came to this address: it is proved, as the verification stage wants.
            user_email_mark_verified(user=user)
        request.session[PENDING_INVITATION] = str(invitation.public_id)
        return sign_in_through_allauth(
            request, user=user, email=invitation.email, then=reverse("members:join")
        )

    def _open_invitation(self, token: str) -> Invitation | HttpResponse:
        invitation = services.invitation_by_token(token)
        if invitation is None:
            raise Http404
        problem = services.invitation_problem(invitation)
        if problem:
            return render(
                self.request, "members/invitation_closed.html", {"problem": problem}, status=410
            )
        return invitation

    def _form(
        self, request: HttpRequest, invitation: Invitation, data: Any = None
    ) -> AcceptWithNewAccountForm | AcceptWithPasswordForm:
        if account_for_address(invitation.email) is not None:
            return AcceptWithPasswordForm(data, email=invitation.email, request=request)
        return AcceptWithNewAccountForm(data, email=invitation.email)

    def _form_page(
        self, request: HttpRequest, invitation: Invitation, form: Any, status: int = 200
    ) -> HttpResponse:
        return render(
            request,
            "members/invitation_accept.html",
            {
                "invitation": invitation,
                "form": form,
                "has_account": isinstance(form, AcceptWithPasswordForm),
            },
            status=status,
        )


class JoinAfterSignInView(TenantView):
    """Where an existing account lands after signing in from an invitation: it joins here."""

    dangerously_allow_non_members = True  # joining is what makes them a member

    def get(self, request: HttpRequest) -> HttpResponse:
        public_id = request.session.pop(PENDING_INVITATION, None)
        user = request.user
        invitation = (
            Invitation.objects.filter(public_id=public_id).first()
            if public_id and isinstance(user, User)
            else None
        )
        if invitation is None or not isinstance(user, User):
            raise Http404
        try:
            services.invitation_accept(
                invitation=invitation, user=user, tenant=self.tenant, request=request
            )
        except ValidationError as exc:
            logout(request)  # signed in only to join, and could not
            return render(
                request, "members/invitation_closed.html", {"problem": exc.messages[0]}, status=410
            )
        messages.success(request, f"Welcome to {self.tenant.name}.")
        return HttpResponseRedirect("/")
