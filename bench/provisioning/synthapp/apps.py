from django.apps import AppConfig


class SynthappConfig(AppConfig):
    name = "bench.provisioning.synthapp"
    label = "synthapp"
    default_auto_field = "django.db.models.BigAutoField"
