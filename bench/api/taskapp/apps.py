from django.apps import AppConfig


class TaskAppConfig(AppConfig):
    name = "bench.api.taskapp"
    label = "benchtasks"
    verbose_name = "API benchmark baseline"
    default_auto_field = "django.db.models.BigAutoField"
