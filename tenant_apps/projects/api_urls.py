from rest_framework.routers import SimpleRouter

from tenant_apps.projects import api

app_name = "projects-api"

# Path converters (not regular expressions): a malformed id is a 404 before any view runs.
router = SimpleRouter(use_regex_path=False)
router.register("projects", api.ProjectViewSet, basename="project")
router.register("tasks", api.TaskViewSet, basename="task")
router.register("labels", api.LabelViewSet, basename="label")
router.register(
    "tasks/<uuid:task_public_id>/comments", api.TaskCommentViewSet, basename="task-comment"
)
router.register(
    "tasks/<uuid:task_public_id>/attachments",
    api.TaskAttachmentViewSet,
    basename="task-attachment",
)

urlpatterns = router.urls
