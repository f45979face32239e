from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from shared_apps.accounts.models import User
from tenant_apps.projects.models import Label, Project, Task, TaskPriority, TaskStatus
from tenant_apps.projects.selectors import TASK_ORDERINGS, UNASSIGNED, TaskFilter

NOT_A_MEMBER = "Assign the task to a member of this workspace."


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the field it names when the form has
    that field, above the form otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


class DateInput(forms.DateInput):
    input_type = "date"


class ProjectForm(forms.Form):
    name = forms.CharField(
        max_length=120, widget=forms.TextInput(attrs={"placeholder": "Website relaunch"})
    )
    key = forms.CharField(
        max_length=10,
        help_text="2 to 10 capital letters or digits, such as WEB. Tasks are numbered WEB-1, "
        "WEB-2, … and the key cannot change later.",
        widget=forms.TextInput(
            attrs={"placeholder": "WEB", "autocapitalize": "characters", "class": "mono"}
        ),
    )
    description = forms.CharField(
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "What is this project about?"}),
    )


class ProjectEditForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )


def _person_choices(people: list[User]) -> list[tuple[str, str]]:
    return [(str(person.pk), person.get_full_name()) for person in people]


class TaskForm(forms.Form):
    """A new task. `people` are the workspace's members, the only ones it can be assigned to."""

    project = forms.ModelChoiceField(
        queryset=Project.objects.filter(archived=False),
        to_field_name="key",
        empty_label=None,
    )
    title = forms.CharField(
        max_length=200, widget=forms.TextInput(attrs={"placeholder": "What needs doing?"})
    )
    description = forms.CharField(
        required=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "Details, links, acceptance…"}),
    )
    status = forms.ChoiceField(choices=TaskStatus.choices, initial=TaskStatus.TODO)
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.MEDIUM)
    assignee = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": NOT_A_MEMBER},
    )
    due_date = forms.DateField(required=False, label="Due date", widget=DateInput)
    labels = forms.ModelMultipleChoiceField(
        queryset=Label.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee = cast(forms.TypedChoiceField, self.fields["assignee"])  # declared above
        assignee.choices = [("", "Nobody yet"), *_person_choices(people)]


class TaskEditForm(TaskForm):
    """A change to a task, based on the version the person read (a hidden field)."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, people=people, **kwargs)
        del self.fields["project"]  # a task stays in its project

    @classmethod
    def initial_for(cls, task: Task) -> dict[str, Any]:
        return {
            "title": task.title,
            "description": task.description,
            "status": task.status,
            "priority": task.priority,
            "assignee": task.assignee_id or "",
            "due_date": task.due_date,
            "labels": list(task.labels.all()),
            "version": task.version,
        }


class MoveForm(forms.Form):
    """A card moved on the board: its new column, and the version the board showed."""

    status = forms.ChoiceField(choices=TaskStatus.choices)
    version = forms.IntegerField(min_value=1)


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Add a comment",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a comment…"}),
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label="Attach a file", allow_empty_file=True)


class LabelForm(forms.Form):
    name = forms.CharField(max_length=40, widget=forms.TextInput(attrs={"placeholder": "bug"}))
    color = forms.CharField(
        label="Colour",
        max_length=7,
        initial="#6172f3",
        widget=forms.TextInput(attrs={"type": "color"}),
    )


class TaskFilterForm(forms.Form):
    """The task list's filters, read from the query string."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "Search titles", "type": "search"}),
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *TaskStatus.choices])
    priority = forms.ChoiceField(
        required=False, choices=[("", "Any priority"), *TaskPriority.choices]
    )
    assignee = forms.ChoiceField(required=False)
    label = forms.ModelChoiceField(
        queryset=Label.objects.all(), required=False, empty_label="Any label", to_field_name="name"
    )
    due_after = forms.DateField(required=False, label="Due from", widget=DateInput)
    due_before = forms.DateField(required=False, label="Due until", widget=DateInput)
    order = forms.ChoiceField(
        required=False,
        label="Order",
        choices=list(TASK_ORDERINGS.items()),
    )

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee = cast(forms.ChoiceField, self.fields["assignee"])  # declared above
        assignee.choices = [
            ("", "Anyone"),
            (UNASSIGNED, "Unassigned"),
            *_person_choices(people),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        after, before = cleaned.get("due_after"), cleaned.get("due_before")
        if after and before and after > before:
            self.add_error("due_before", "Pick a date on or after the “Due from” date.")
        return cleaned

    def task_filter(self) -> TaskFilter:
        data = self.cleaned_data
        return TaskFilter(
            status=data["status"],
            priority=data["priority"],
            assignee=data["assignee"],
            label=data["label"],
            due_after=data["due_after"],
            due_before=data["due_before"],
            text=data["q"].strip(),
            ordering=data["order"] or "newest",
        )

    @property
    def is_filtering(self) -> bool:
        """Whether anything narrows the list (ordering alone does not)."""
        return self.is_bound and any(
            self.data.get(name) for name in self.fields if name not in {"order"}
        )
