from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Registers the checks, the tasks and the signal receivers.
        from billing import checks, receivers, tasks  # noqa: F401
