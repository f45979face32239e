"""The workspace API's OpenAPI links (a drf-spectacular postprocessing hook): a new project
feeds a new task, a task its reading, update, deletion, comments and files."""

from __future__ import annotations

from typing import Any

from tenants.openapi import Links, links_add

_TASK = {"public_id": "$response.body#/id"}
_ON_TASK = {"task_public_id": "$response.body#/id"}
# A comment's or file's own id, under the task of the request that made or read it.
_CHILD = {"task_public_id": "$request.path.task_public_id", "public_id": "$response.body#/id"}


def _task_links() -> dict[str, dict[str, Any]]:
    """From an answer that is a task: what can be done with it next."""
    return {
        "GetTask": {"operationId": "tasks_retrieve", "parameters": _TASK},
        "UpdateTask": {
            "operationId": "tasks_partial_update",
            "parameters": _TASK,
            # The version read, and the people and labels as they are (which must name a
            # member and existing labels); the rest may change.
            "requestBody": {
                "expected_version": "$response.body#/version",
                "assignee": "$response.body#/assignee",
                "labels": "$response.body#/labels",
            },
        },
        "DeleteTask": {"operationId": "tasks_destroy", "parameters": _TASK},
        "AddComment": {"operationId": "tasks_comments_create", "parameters": _ON_TASK},
        "ListComments": {"operationId": "tasks_comments_list", "parameters": _ON_TASK},
        "AttachFile": {"operationId": "tasks_attachments_create", "parameters": _ON_TASK},
        "ListAttachments": {"operationId": "tasks_attachments_list", "parameters": _ON_TASK},
    }


LINKS: Links = {
    "projects_create": {
        "201": {
            "GetProject": {
                "operationId": "projects_retrieve",
                "parameters": {"public_id": "$response.body#/id"},
            },
            "CreateTask": {
                "operationId": "tasks_create",
                "requestBody": {"project": "$response.body#/id"},
            },
        }
    },
    "tasks_create": {"201": _task_links()},
    "tasks_retrieve": {"200": _task_links()},
    "tasks_partial_update": {"200": _task_links()},
    "tasks_comments_create": {
        "201": {"DeleteComment": {"operationId": "tasks_comments_destroy", "parameters": _CHILD}}
    },
    "tasks_attachments_create": {
        "201": {
            "GetAttachment": {"operationId": "tasks_attachments_retrieve", "parameters": _CHILD},
            "DownloadAttachment": {
                "operationId": "tasks_attachments_download_retrieve",
                "parameters": _CHILD,
            },
            "DeleteAttachment": {"operationId": "tasks_attachments_destroy", "parameters": _CHILD},
        }
    },
    "tasks_attachments_retrieve": {
        "200": {
            "DownloadAttachment": {
                "operationId": "tasks_attachments_download_retrieve",
                "parameters": _CHILD,
            },
            "DeleteAttachment": {"operationId": "tasks_attachments_destroy", "parameters": _CHILD},
        }
    },
    "labels_create": {
        "201": {
            "DeleteLabel": {
                "operationId": "labels_destroy",
                "parameters": {"id": "$response.body#/id"},
            }
        }
    },
}


def document_links(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the links above."""
    return links_add(result, LINKS)


def require_task_version(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: a task's PATCH requires `expected_version` (the
    view refuses one without it), which drf-spectacular's all-optional "Patched" component
    does not say; so the body itself is required too."""
    patched = result.get("components", {}).get("schemas", {}).get("PatchedTaskUpdateRequest")
    if patched is None:
        return result
    patched["required"] = ["expected_version"]
    for path_item in result.get("paths", {}).values():
        operation = path_item.get("patch", {})
        if operation.get("operationId") == "tasks_partial_update":
            operation["requestBody"]["required"] = True
    return result
