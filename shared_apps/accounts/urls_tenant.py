from django.urls import path

from shared_apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.TenantLoginView.as_view(), name="login"),
    path("password/reset/", views.TenantPasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        views.TenantPasswordResetSentView.as_view(),
        name="password_reset_sent",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.TenantPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        views.TenantPasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("logout/", views.TenantLogoutView.as_view(), name="logout"),
]
