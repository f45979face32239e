from django.urls import path

from tenant_apps.api_access import api_docs

app_name = "api_docs"

urlpatterns = [
    path("schema/", api_docs.ApiSchemaView.as_view(), name="schema"),
    path("docs/", api_docs.ApiDocsView.as_view(), name="docs"),
]
