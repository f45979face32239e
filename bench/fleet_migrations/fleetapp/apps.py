from django.apps import AppConfig


class FleetappConfig(AppConfig):
    name = "bench.fleet_migrations.fleetapp"
    label = "fleetapp"
    default_auto_field = "django.db.models.BigAutoField"
