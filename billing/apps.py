from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from billing import checks, tasks  # noqa: F401  (registers the checks and tasks)
