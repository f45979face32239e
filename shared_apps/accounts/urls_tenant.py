"""The allauth pages a tenant host serves, under allauth's own URL names and paths."""

from django.urls import path, re_path

from shared_apps.accounts import views

urlpatterns = [
    path("login/", views.TenantLoginView.as_view(), name="account_login"),
    path("hop/", views.HopView.as_view(), name="hop"),
    path("switch/", views.SwitchWorkspaceView.as_view(), name="switch_workspace"),
    path("switch/<slug:slug>/", views.SwitchToWorkspaceView.as_view(), name="switch_to"),
    path("logout/", views.TenantLogoutView.as_view(), name="account_logout"),
    path("signup/", views.TenantSignupView.as_view(), name="account_signup"),
    path("inactive/", views.TenantAccountInactiveView.as_view(), name="account_inactive"),
    path("password/reset/", views.TenantPasswordResetView.as_view(), name="account_reset_password"),
    path(
        "password/reset/done/",
        views.TenantPasswordResetDoneView.as_view(),
        name="account_reset_password_done",
    ),
    re_path(
        r"^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        views.TenantPasswordResetFromKeyView.as_view(),
        name="account_reset_password_from_key",
    ),
    path(
        "password/reset/key/done/",
        views.TenantPasswordResetFromKeyDoneView.as_view(),
        name="account_reset_password_from_key_done",
    ),
    path(
        "confirm-email/",
        views.TenantEmailVerificationSentView.as_view(),
        name="account_email_verification_sent",
    ),
    re_path(
        r"^confirm-email/(?P<key>[-:\w]+)/$",
        views.TenantConfirmEmailView.as_view(),
        name="account_confirm_email",
    ),
    path("2fa/authenticate/", views.TenantTwoFactorView.as_view(), name="mfa_authenticate"),
    # Account settings live on the apex; the names resolve here so that links work.
    path(
        "password/change/",
        views.AccountSettingsOnTheApexView.as_view(),
        name="account_change_password",
    ),
    path(
        "password/set/", views.AccountSettingsOnTheApexView.as_view(), name="account_set_password"
    ),
    path("email/", views.AccountSettingsOnTheApexView.as_view(), name="account_email"),
    path("2fa/", views.AccountSettingsOnTheApexView.as_view(), name="mfa_index"),
    path(
        "reauthenticate/",
        views.AccountSettingsOnTheApexView.as_view(),
        name="account_reauthenticate",
    ),
]
