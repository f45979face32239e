from rest_framework.routers import SimpleRouter

from tenant_apps.projects import api

app_name = "projects-api"

router = SimpleRouter()
router.register("projects", api.ProjectViewSet, basename="project")
router.register("tasks", api.TaskViewSet, basename="task")

urlpatterns = router.urls
