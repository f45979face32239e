"""The work tracker's pages: projects, a project's task list and board, a task with its
comments and files, and the labels. Viewers read everything; members and up write, each write
through one service."""

from __future__ import annotations

from typing import cast
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from billing.entitlements import PlanLimitError
from shared_apps.accounts.models import User
from tenant_apps.projects import selectors, services
from tenant_apps.projects.downloads import attachment_response
from tenant_apps.projects.forms import (
    AttachmentForm,
    CommentForm,
    LabelForm,
    MoveForm,
    ProjectEditForm,
    ProjectForm,
    TaskEditForm,
    TaskFilterForm,
    TaskForm,
    add_service_errors,
)
from tenant_apps.projects.models import (
    Attachment,
    Comment,
    Label,
    Project,
    Task,
    TaskStatus,
)
from tenant_apps.projects.services import Actor, TaskConflictError
from tenants.access import TenantView
from tenants.roles import Permission, role_has_permission

TASKS_PER_PAGE = 25


def reference(task: Task) -> str:
    return f"{task.project.key}-{task.number}"


class _WorkView(TenantView):
    """Lookups shared by the work tracker's pages (TenantView has checked membership)."""

    def actor(self) -> Actor:
        return Actor(user=cast(User, self.request.user), request=self.request)

    def can_write(self) -> bool:
        return role_has_permission(self.membership.role, Permission.CONTENT_WRITE)

    def project(self, key: str) -> Project:
        return get_object_or_404(Project, key=key)

    def task(self, key: str, number: int) -> Task:
        return get_object_or_404(
            Task.objects.select_related("project", "assignee", "created_by"),
            project__key=key,
            number=number,
        )

    def people(self) -> list[User]:
        return selectors.assignable_people(self.tenant)


# ---- Projects ------------------------------------------------------------------------------


class ProjectsView(_WorkView):
    """Every project with its tasks counted by status; archived ones in a section of their own."""

    def get(self, request: HttpRequest) -> HttpResponse:
        projects = list(selectors.projects_with_counts())
        return render(
            request,
            "projects/projects.html",
            {
                "active": [p for p in projects if not p.archived],
                "archived": [p for p in projects if p.archived],
                "can_write": self.can_write(),
            },
        )


class ProjectCreateView(_WorkView):
    required_permission = Permission.CONTENT_WRITE

    def get(
        self,
        request: HttpRequest,
        form: ProjectForm | None = None,
        plan_limit: PlanLimitError | None = None,
    ) -> HttpResponse:
        return render(
            request,
            "projects/project_form.html",
            {"form": form or ProjectForm(), "project": None, "plan_limit": plan_limit},
            status=400 if form is not None else 200,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ProjectForm(request.POST)
        if form.is_valid():
            try:
                project = services.project_create(
                    name=form.cleaned_data["name"],
                    key=form.cleaned_data["key"],
                    description=form.cleaned_data["description"],
                    actor=self.actor(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PlanLimitError as exc:
                form.add_error(None, exc.message)
                return self.get(request, form, plan_limit=exc)
            else:
                messages.success(request, f"{project.name} is ready. Add its first task.")
                return HttpResponseRedirect(reverse("projects:tasks", args=[project.key]))
        return self.get(request, form)


class ProjectEditView(_WorkView):
    required_permission = Permission.CONTENT_WRITE

    def get(
        self, request: HttpRequest, key: str, form: ProjectEditForm | None = None
    ) -> HttpResponse:
        project = self.project(key)
        return render(
            request,
            "projects/project_form.html",
            {
                "form": form
                or ProjectEditForm(
                    initial={"name": project.name, "description": project.description}
                ),
                "project": project,
            },
            status=400 if form is not None else 200,
        )

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        project = self.project(key)
        form = ProjectEditForm(request.POST)
        if form.is_valid():
            try:
                services.project_update(
                    project=project,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    actor=self.actor(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Project saved.")
                return HttpResponseRedirect(reverse("projects:tasks", args=[project.key]))
        return self.get(request, key, form)


class ProjectArchiveView(_WorkView):
    required_permission = Permission.CONTENT_WRITE
    archive = True

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        try:
            project = services.project_update(
                project=self.project(key), archived=self.archive, actor=self.actor()
            )
        except PlanLimitError as exc:  # restoring counts against the plan's projects
            messages.error(request, f"The project was not restored. {exc.message}")
            return HttpResponseRedirect(reverse("projects:list"))
        if project.archived:
            messages.success(
                request,
                f"{project.name} is archived. Its tasks stay readable; restore it any time.",
            )
            return HttpResponseRedirect(reverse("projects:list"))
        messages.success(request, f"{project.name} is active again.")
        return HttpResponseRedirect(reverse("projects:tasks", args=[project.key]))


class ProjectRestoreView(ProjectArchiveView):
    archive = False


# ---- A project's tasks: list and board -----------------------------------------------------


class TaskListView(_WorkView):
    """A project's tasks, filtered and ordered by a GET form, a page at a time."""

    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        project = self.project(key)
        people = self.people()
        filters = TaskFilterForm(request.GET or None, people=people)
        if not filters.is_bound:
            tasks = selectors.tasks_of(project)
        elif filters.is_valid():
            tasks = selectors.tasks_of(project, filters.task_filter())
        else:
            # A filter that makes no sense: say so, and show nothing rather than everything.
            tasks = Task.objects.none()
        page = Paginator(tasks, TASKS_PER_PAGE).get_page(request.GET.get("page"))
        return render(
            request,
            "projects/tasks.html",
            {
                "project": project,
                "filters": filters,
                "page_obj": page,
                "is_paginated": page.has_other_pages(),
                "total": page.paginator.count,
                "today": timezone.localdate(),
                "can_write": self.can_write(),
            },
            status=200 if not filters.errors else 400,
        )


class BoardView(_WorkView):
    """The project's tasks in four columns; members move cards between them."""

    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        project = self.project(key)
        return render(
            request,
            "projects/board.html",
            {
                "project": project,
                "columns": selectors.board_of(project),
                "statuses": TaskStatus.choices,
                "today": timezone.localdate(),
                "can_write": self.can_write(),
            },
        )


class TaskMoveView(_WorkView):
    """A card dropped in another column (or moved with the card's own control): the status
    changes if the task is still as the board showed it. The board's script asks for JSON;
    the plain form gets a redirect back to the board."""

    required_permission = Permission.CONTENT_WRITE

    def post(self, request: HttpRequest, key: str, number: int) -> HttpResponse:
        task = self.task(key, number)
        wants_json = "application/json" in request.headers.get("Accept", "")
        board = reverse("projects:board", args=[task.project.key])
        form = MoveForm(request.POST)
        if not form.is_valid():
            text = "That move could not be read; reload the board and try again."
            if wants_json:
                return JsonResponse({"error": text}, status=400)
            messages.error(request, text)
            return HttpResponseRedirect(board)
        status = TaskStatus(form.cleaned_data["status"])
        try:
            moved = services.task_update(
                tenant=self.tenant,
                task=task,
                expected_version=form.cleaned_data["version"],
                changes={"status": status.value},
                actor=self.actor(),
            )
        except TaskConflictError as conflict:
            current = conflict.current
            text = (
                f"{reference(task)} was changed by someone else since this board was loaded, "
                f"so it was not moved. It is in {current.get_status_display()} now; "
                "the board shows it as it is."
            )
            if wants_json:
                return JsonResponse(
                    {"error": text, "status": current.status, "version": current.version},
                    status=409,
                )
            messages.error(request, text)
            return HttpResponseRedirect(board)
        text = f"{reference(moved)} moved to {status.label}."
        if wants_json:
            return JsonResponse({"message": text, "status": moved.status, "version": moved.version})
        messages.success(request, text)
        return HttpResponseRedirect(board)


# ---- Tasks ---------------------------------------------------------------------------------


class TaskCreateView(_WorkView):
    required_permission = Permission.CONTENT_WRITE

    def get(self, request: HttpRequest, key: str, form: TaskForm | None = None) -> HttpResponse:
        project = self.project(key)
        if project.archived:
            messages.error(request, f"{project.name} is archived; restore it to add tasks.")
            return HttpResponseRedirect(reverse("projects:tasks", args=[project.key]))
        form = form or TaskForm(
            initial={"project": project.key, "status": request.GET.get("status") or "todo"},
            people=self.people(),
        )
        return render(
            request,
            "projects/task_form.html",
            {"form": form, "project": project, "task": None},
            status=400 if form.is_bound else 200,
        )

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        form = TaskForm(request.POST, people=self.people())
        if form.is_valid():
            data = form.cleaned_data
            try:
                task = services.task_create(
                    tenant=self.tenant,
                    project=data["project"],
                    title=data["title"],
                    description=data["description"],
                    status=data["status"],
                    priority=data["priority"],
                    assignee_id=data["assignee"],
                    due_date=data["due_date"],
                    labels=list(data["labels"]),
                    actor=self.actor(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"{reference(task)} created.")
                if "another" in request.POST:
                    return HttpResponseRedirect(
                        reverse("projects:task_new", args=[task.project.key])
                    )
                return HttpResponseRedirect(
                    reverse("projects:task", args=[task.project.key, task.number])
                )
        return self.get(request, key, form)


class TaskDetailView(_WorkView):
    """A task: its fields, labels, comments and files. Viewers read; members add."""

    def get(self, request: HttpRequest, key: str, number: int) -> HttpResponse:
        return self.page(request, self.task(key, number))

    def page(
        self,
        request: HttpRequest,
        task: Task,
        comment_form: CommentForm | None = None,
        attachment_form: AttachmentForm | None = None,
        plan_limit: PlanLimitError | None = None,
    ) -> HttpResponse:
        actor, role = self.actor(), self.membership.role
        comments = [
            (comment, services.may_remove(owner_id=comment.author_id, actor=actor, role=role))
            for comment in task.comments.select_related("author")
        ]
        attachments = [
            (
                attachment,
                services.may_remove(owner_id=attachment.uploaded_by_id, actor=actor, role=role),
            )
            for attachment in task.attachments.select_related("uploaded_by")
        ]
        failed = comment_form is not None or attachment_form is not None
        return render(
            request,
            "projects/task.html",
            {
                "task": task,
                "project": task.project,
                "labels": list(task.labels.all()),
                "comments": comments,
                "attachments": attachments,
                "comment_form": comment_form or CommentForm(),
                "attachment_form": attachment_form or AttachmentForm(),
                "max_upload_mb": services.ATTACHMENT_MAX_BYTES // (1024 * 1024),
                "today": timezone.localdate(),
                "can_write": self.can_write(),
                "plan_limit": plan_limit,
            },
            status=400 if failed else 200,
        )


class TaskEditView(_WorkView):
    required_permission = Permission.CONTENT_WRITE

    def get(
        self,
        request: HttpRequest,
        key: str,
        number: int,
        form: TaskEditForm | None = None,
        current: Task | None = None,
    ) -> HttpResponse:
        task = current or self.task(key, number)
        form = form or TaskEditForm(initial=TaskEditForm.initial_for(task), people=self.people())
        return render(
            request,
            "projects/task_form.html",
            {
                "form": form,
                "project": task.project,
                "task": task,
                "conflict": current,
                "conflict_labels": list(current.labels.all()) if current else [],
            },
            status=400 if form.is_bound else 200,
        )

    def post(self, request: HttpRequest, key: str, number: int) -> HttpResponse:
        task = self.task(key, number)
        people = self.people()
        form = TaskEditForm(request.POST, people=people)
        if not form.is_valid():
            return self.get(request, key, number, form)
        data = form.cleaned_data
        try:
            updated = services.task_update(
                tenant=self.tenant,
                task=task,
                expected_version=data["version"],
                changes={
                    "title": data["title"],
                    "description": data["description"],
                    "status": data["status"],
                    "priority": data["priority"],
                    "assignee_id": data["assignee"],
                    "due_date": data["due_date"],
                },
                labels=list(data["labels"]),
                actor=self.actor(),
            )
        except TaskConflictError as conflict:
            current = Task.objects.select_related("project", "assignee").get(pk=conflict.current.pk)
            # Their edits stay in the form; saving again now is a deliberate choice to
            # replace what the other person saved, so the form carries the current version.
            resubmit = request.POST.copy()
            resubmit["version"] = str(current.version)
            form = TaskEditForm(resubmit, people=people)
            form.is_valid()
            form.add_error(
                None,
                "Someone else changed this task while you were editing it, and nothing of "
                "yours was saved. Their version is shown below; your changes are still in the "
                "form. Save again to replace theirs with yours.",
            )
            return self.get(request, key, number, form, current=current)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.get(request, key, number, form)
        messages.success(request, f"{reference(updated)} saved.")
        return HttpResponseRedirect(reverse("projects:task", args=[updated.project.key, number]))


class TaskDeleteView(_WorkView):
    required_permission = Permission.CONTENT_WRITE

    def get(self, request: HttpRequest, key: str, number: int) -> HttpResponse:
        task = self.task(key, number)
        return render(
            request,
            "projects/task_delete.html",
            {
                "task": task,
                "project": task.project,
                "comment_count": task.comments.count(),
                "attachment_count": task.attachments.count(),
            },
        )

    def post(self, request: HttpRequest, key: str, number: int) -> HttpResponse:
        task = self.task(key, number)
        project = task.project
        name = f"{reference(task)} {task.title}"
        services.task_delete(task=task, actor=self.actor())
        messages.success(request, f"{name} was deleted.")
        return HttpResponseRedirect(reverse("projects:tasks", args=[project.key]))


# ---- Comments and attachments --------------------------------------------------------------


class CommentAddView(TaskDetailView):
    required_permission = Permission.CONTENT_WRITE

    def post(self, request: HttpRequest, key: str, number: int) -> HttpResponse:
        task = self.task(key, number)
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                services.comment_add(task=task, body=form.cleaned_data["body"], actor=self.actor())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Comment added.")
                return HttpResponseRedirect(
                    reverse("projects:task", args=[task.project.key, number]) + "#comments"
                )
        return self.page(request, task, comment_form=form)


class CommentDeleteView(_WorkView):
    required_permission = Permission.CONTENT_WRITE

    def post(self, request: HttpRequest, public_id: UUID) -> HttpResponse:
        comment = get_object_or_404(
            Comment.objects.select_related("task__project"), public_id=public_id
        )
        task = comment.task
        if not services.may_remove(
            owner_id=comment.author_id, actor=self.actor(), role=self.membership.role
        ):
            messages.error(request, "Only its author or an admin can delete a comment.")
        else:
            services.comment_delete(comment=comment, actor=self.actor())
            messages.success(request, "Comment deleted.")
        return HttpResponseRedirect(
            reverse("projects:task", args=[task.project.key, task.number]) + "#comments"
        )


class AttachmentAddView(TaskDetailView):
    required_permission = Permission.CONTENT_WRITE

    def post(self, request: HttpRequest, key: str, number: int) -> HttpResponse:
        task = self.task(key, number)
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                attachment = services.attachment_add(
                    tenant=self.tenant,
                    task=task,
                    upload=form.cleaned_data["file"],
                    actor=self.actor(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PlanLimitError as exc:
                form.add_error("file", exc.message)
                return self.page(request, task, attachment_form=form, plan_limit=exc)
            else:
                messages.success(request, f"{attachment.name} attached.")
                return HttpResponseRedirect(
                    reverse("projects:task", args=[task.project.key, number]) + "#attachments"
                )
        return self.page(request, task, attachment_form=form)


class AttachmentDeleteView(_WorkView):
    required_permission = Permission.CONTENT_WRITE

    def post(self, request: HttpRequest, public_id: UUID) -> HttpResponse:
        attachment = get_object_or_404(
            Attachment.objects.select_related("task__project"), public_id=public_id
        )
        task = attachment.task
        if not services.may_remove(
            owner_id=attachment.uploaded_by_id, actor=self.actor(), role=self.membership.role
        ):
            messages.error(request, "Only whoever attached a file or an admin can remove it.")
        else:
            services.attachment_delete(attachment=attachment, actor=self.actor())
            messages.success(request, f"{attachment.name} removed.")
        return HttpResponseRedirect(
            reverse("projects:task", args=[task.project.key, task.number]) + "#attachments"
        )


class AttachmentDownloadView(_WorkView):
    """A task's file, for members of this workspace only, and always as a download: whatever
    was uploaded, the browser is never asked to render it in this origin."""

    def get(self, request: HttpRequest, public_id: UUID) -> FileResponse:
        return attachment_response(get_object_or_404(Attachment, public_id=public_id))


# ---- Labels --------------------------------------------------------------------------------


class LabelsView(_WorkView):
    def get(self, request: HttpRequest, form: LabelForm | None = None) -> HttpResponse:
        return render(
            request,
            "projects/labels.html",
            {
                "labels": Label.objects.all(),
                "form": form or LabelForm(),
                "can_write": self.can_write(),
            },
            status=400 if form is not None else 200,
        )


class LabelCreateView(LabelsView):
    required_permission = Permission.CONTENT_WRITE

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LabelForm(request.POST)
        if form.is_valid():
            try:
                label = services.label_create(
                    name=form.cleaned_data["name"],
                    color=form.cleaned_data["color"],
                    actor=self.actor(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Label {label.name} created.")
                return HttpResponseRedirect(reverse("projects:labels"))
        return self.get(request, form)


class LabelDeleteView(_WorkView):
    required_permission = Permission.CONTENT_WRITE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        label = get_object_or_404(Label, pk=pk)
        services.label_delete(label=label, actor=self.actor())
        messages.success(request, f"Label {label.name} deleted; tasks that had it keep the rest.")
        return HttpResponseRedirect(reverse("projects:labels"))
