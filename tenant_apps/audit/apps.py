from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tenant_apps.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from tenant_apps.audit import receivers

        receivers.connect()
