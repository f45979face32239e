from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        # checks: importing it registers the system checks.
        from tenants import activity, checks, routing  # noqa: F401

        routing.connect_invalidation_signals()
        activity.connect()
