from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from shared_apps.operators import api
from shared_apps.operators.api import HasOperatorToken, OperatorTokenAuthentication

app_name = "platform_api"


class OperatorSchemaView(SpectacularAPIView):
    """The operator API's OpenAPI 3 document (with a token, like the API itself)."""

    authentication_classes = [OperatorTokenAuthentication]
    permission_classes = [HasOperatorToken]
    urlconf = "config.urls_public"  # paths as clients call them: /api/platform/v1/...


urlpatterns = [
    path("tenants/", api.TenantListView.as_view(), name="tenants"),
    path("tenants/import/", api.ImportView.as_view(), name="import"),
    path("tenants/<slug:slug>/", api.TenantDetailView.as_view(), name="tenant"),
    path("tenants/<slug:slug>/export/", api.ExportView.as_view(), name="export"),
    path("tenants/<slug:slug>/suspend/", api.SuspendView.as_view(), name="suspend"),
    path("tenants/<slug:slug>/reactivate/", api.ReactivateView.as_view(), name="reactivate"),
    path("tenants/<slug:slug>/rename/", api.RenameView.as_view(), name="rename"),
    path("tenants/<slug:slug>/archive/", api.ArchiveView.as_view(), name="archive"),
    path("tenants/<slug:slug>/restore/", api.RestoreView.as_view(), name="restore"),
    path("tenants/<slug:slug>/purge/", api.PurgeView.as_view(), name="purge"),
    path("schema/", OperatorSchemaView.as_view(), name="schema"),
]
