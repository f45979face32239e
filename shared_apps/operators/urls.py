from django.urls import path

from shared_apps.operators import views

app_name = "operators"

urlpatterns = [
    path("", views.TenantsView.as_view(), name="tenants"),
    path("tenants/new/", views.ProvisionView.as_view(), name="provision"),
    path("tenants/import/", views.ImportTenantView.as_view(), name="import"),
    path("tenants/<slug:slug>/", views.TenantDetailView.as_view(), name="tenant"),
    path("tenants/<slug:slug>/impersonate/", views.ImpersonateView.as_view(), name="impersonate"),
    path("tenants/<slug:slug>/export/", views.ExportTenantView.as_view(), name="export"),
    path("tenants/<slug:slug>/<slug:action>/", views.TenantActionView.as_view(), name="action"),
    path("users/", views.UsersView.as_view(), name="users"),
    path("domains/", views.DomainsView.as_view(), name="domains"),
    path("audit/", views.AuditView.as_view(), name="audit"),
    path("tokens/", views.TokensView.as_view(), name="tokens"),
    path("tokens/<str:prefix>/revoke/", views.RevokeTokenView.as_view(), name="revoke_token"),
]
