from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "tenant_apps.projects"
    label = "projects"
    verbose_name = "Projects and tasks"

    def ready(self) -> None:
        from billing.catalog import Limit
        from billing.entitlements import register_usage
        from tenant_apps.projects.selectors import active_project_count, storage_used

        register_usage(Limit.PROJECTS, active_project_count)
        register_usage(Limit.STORAGE, storage_used)
