from django.urls import path

from shared_apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_home, name="home"),
    path("login/", views.PublicLoginView.as_view(), name="login"),
    path("password/reset/", views.PublicPasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        views.PublicPasswordResetSentView.as_view(),
        name="password_reset_sent",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PublicPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        views.PublicPasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("logout/", views.PublicLogoutView.as_view(), name="logout"),
]
