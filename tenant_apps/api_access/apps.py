from django.apps import AppConfig


class ApiAccessConfig(AppConfig):
    name = "tenant_apps.api_access"
    label = "api_access"
    verbose_name = "API access"

    def ready(self) -> None:
        from tenant_apps.api_access import schema  # noqa: F401  (registers the auth scheme)
