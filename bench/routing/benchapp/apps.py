from django.apps import AppConfig


class BenchAppConfig(AppConfig):
    name = "bench.routing.benchapp"
    label = "benchapp"
    verbose_name = "Routing benchmark"
    default_auto_field = "django.db.models.BigAutoField"
