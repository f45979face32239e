from django.urls import path

from shared_apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_home, name="home"),
    path("workspaces/<slug:slug>/open/", views.open_workspace, name="open_workspace"),
]
