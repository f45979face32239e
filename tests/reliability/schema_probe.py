"""A tenant URLconf with one more route, for the connection-pooling tests only.

GET /__probe__/schema/ answers which schema PostgreSQL ran the request's query in
(current_schema()), the backend that ran it, and the schema routing chose for the host. It is a
TenantView like every tenant page: only a signed-in member of the workspace gets an answer, so
each probed request also goes through the session, user and membership look-ups of a real one.

config/settings/test.py selects this URLconf for tenant hosts only when STRATA_TEST_SCHEMA_PROBE=1,
which the pooling tests set for the servers they start; no other settings know of it, and the
URLconfs of config/ never contain it.
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path

from config import urls_tenant
from tenants.access import TenantView

PROBE_PATH = "/__probe__/schema/"


class SchemaProbeView(TenantView):
    def get(self, request: HttpRequest) -> JsonResponse:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema(), pg_backend_pid()")
            row = cursor.fetchone()
        assert row is not None
        schema, backend = row
        return JsonResponse(
            {"schema": schema, "backend": backend, "routed_schema": self.tenant.schema_name}
        )


urlpatterns: list[URLPattern | URLResolver] = [
    path(PROBE_PATH.strip("/") + "/", SchemaProbeView.as_view()),
    *urls_tenant.urlpatterns,
]

handler400 = urls_tenant.handler400
handler403 = urls_tenant.handler403
handler404 = urls_tenant.handler404
handler500 = urls_tenant.handler500
