from django.apps import AppConfig


class WebsiteConfig(AppConfig):
    name = "shared_apps.website"
    label = "website"
    verbose_name = "Public website"
