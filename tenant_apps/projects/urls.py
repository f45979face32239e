from django.urls import path, register_converter

from tenant_apps.projects import views


class ProjectKeyConverter:
    """A project key as typed (web or WEB); anything else is a 404 before a view runs."""

    regex = "[A-Za-z][A-Za-z0-9]{1,9}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value


register_converter(ProjectKeyConverter, "key")

app_name = "projects"

urlpatterns = [
    path("projects/", views.ProjectsView.as_view(), name="list"),
    path("projects/new/", views.ProjectCreateView.as_view(), name="new"),
    path("projects/<key:key>/", views.TaskListView.as_view(), name="tasks"),
    path("projects/<key:key>/board/", views.BoardView.as_view(), name="board"),
    path("projects/<key:key>/edit/", views.ProjectEditView.as_view(), name="edit"),
    path("projects/<key:key>/archive/", views.ProjectArchiveView.as_view(), name="archive"),
    path("projects/<key:key>/restore/", views.ProjectRestoreView.as_view(), name="restore"),
    path("projects/<key:key>/tasks/new/", views.TaskCreateView.as_view(), name="task_new"),
    path("projects/<key:key>/<int:number>/", views.TaskDetailView.as_view(), name="task"),
    path("projects/<key:key>/<int:number>/edit/", views.TaskEditView.as_view(), name="task_edit"),
    path("projects/<key:key>/<int:number>/move/", views.TaskMoveView.as_view(), name="task_move"),
    path(
        "projects/<key:key>/<int:number>/delete/",
        views.TaskDeleteView.as_view(),
        name="task_delete",
    ),
    path(
        "projects/<key:key>/<int:number>/comments/",
        views.CommentAddView.as_view(),
        name="comment_add",
    ),
    path(
        "projects/<key:key>/<int:number>/attachments/",
        views.AttachmentAddView.as_view(),
        name="attachment_add",
    ),
    path(
        "comments/<uuid:public_id>/delete/",
        views.CommentDeleteView.as_view(),
        name="comment_delete",
    ),
    path(
        "attachments/<uuid:public_id>/download/",
        views.AttachmentDownloadView.as_view(),
        name="attachment_download",
    ),
    path(
        "attachments/<uuid:public_id>/delete/",
        views.AttachmentDeleteView.as_view(),
        name="attachment_delete",
    ),
    path("labels/", views.LabelsView.as_view(), name="labels"),
    path("labels/new/", views.LabelCreateView.as_view(), name="label_new"),
    path("labels/<int:pk>/delete/", views.LabelDeleteView.as_view(), name="label_delete"),
]
