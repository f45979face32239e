from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "shared_apps.health"
    label = "health"
    verbose_name = "Health checks"
