from django.urls import path
from rest_framework.routers import SimpleRouter

from tenant_apps.projects import api

app_name = "projects-api"

router = SimpleRouter()
router.register("projects", api.ProjectViewSet, basename="project")
router.register("tasks", api.TaskViewSet, basename="task")
router.register("labels", api.LabelViewSet, basename="label")

comments = api.TaskCommentViewSet.as_view({"get": "list", "post": "create"})

urlpatterns = [
    *router.urls,
    path("tasks/<str:task_public_id>/comments/", comments, name="task-comments"),
]
