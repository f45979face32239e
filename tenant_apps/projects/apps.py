from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "tenant_apps.projects"
    label = "projects"
    verbose_name = "Projects and tasks"
