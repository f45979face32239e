from django.urls import path

from tenant_apps.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("settings/domains/", views.DomainsView.as_view(), name="domains"),
    path("settings/export/", views.ExportView.as_view(), name="export"),
    path(
        "settings/domains/<int:pk>/verify/", views.VerifyDomainView.as_view(), name="verify_domain"
    ),
    path(
        "settings/domains/<int:pk>/remove/", views.RemoveDomainView.as_view(), name="remove_domain"
    ),
]
