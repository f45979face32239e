from django.urls import path

from tenant_apps.api_access import views

app_name = "api_access"

urlpatterns = [
    path("settings/api-keys/", views.ApiKeysView.as_view(), name="keys"),
    path(
        "settings/api-keys/<uuid:public_id>/revoke/",
        views.RevokeApiKeyView.as_view(),
        name="revoke",
    ),
]
