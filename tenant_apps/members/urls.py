from django.urls import path

from tenant_apps.members import views

app_name = "members"

urlpatterns = [
    path("members/", views.MembersView.as_view(), name="list"),
    path("members/invite/", views.InviteView.as_view(), name="invite"),
    path("members/leave/", views.LeaveView.as_view(), name="leave"),
    path("members/<uuid:public_id>/role/", views.ChangeRoleView.as_view(), name="change_role"),
    path("members/<uuid:public_id>/remove/", views.RemoveMemberView.as_view(), name="remove"),
    path(
        "members/<uuid:public_id>/transfer/", views.TransferOwnershipView.as_view(), name="transfer"
    ),
    path(
        "members/invitations/<uuid:public_id>/resend/",
        views.ResendInvitationView.as_view(),
        name="resend",
    ),
    path(
        "members/invitations/<uuid:public_id>/revoke/",
        views.RevokeInvitationView.as_view(),
        name="revoke",
    ),
    path("members/invitations/join/", views.JoinAfterSignInView.as_view(), name="join"),
    path("invitations/<str:token>/", views.AcceptInvitationView.as_view(), name="accept"),
]
