from django.urls import path

from shared_apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.TenantLoginView.as_view(), name="login"),
    path("logout/", views.TenantLogoutView.as_view(), name="logout"),
]
