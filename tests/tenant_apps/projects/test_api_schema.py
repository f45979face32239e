"""The workspace API's OpenAPI document says what the API does: which answers feed which next
calls (links), and what an update requires."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management import call_command


def _schema(tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "schema.json"
    call_command(
        "spectacular", "--urlconf", "config.urls_tenant", "--format", "openapi-json",
        "--file", str(out),
    )  # fmt: skip
    document: dict[str, Any] = json.loads(out.read_text())
    return document


def _responses(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    responses: dict[str, Any] = document["paths"][path][method]["responses"]
    return responses


def test_a_new_project_and_task_link_to_what_can_be_done_with_them(tmp_path: Path) -> None:
    document = _schema(tmp_path)

    project = _responses(document, "/api/v1/projects/", "post")["201"]["links"]
    assert project["CreateTask"] == {
        "operationId": "tasks_create",
        "requestBody": {"project": "$response.body#/id"},
    }
    task = _responses(document, "/api/v1/tasks/", "post")["201"]["links"]
    assert {"GetTask", "UpdateTask", "DeleteTask", "AddComment", "AttachFile"} <= set(task)
    assert task["UpdateTask"]["requestBody"]["expected_version"] == "$response.body#/version"
    attachment = _responses(document, "/api/v1/tasks/{task_public_id}/attachments/", "post")
    assert attachment["201"]["links"]["DownloadAttachment"]["parameters"] == {
        "task_public_id": "$request.path.task_public_id",
        "public_id": "$response.body#/id",
    }
    # Every link names an operation of this document.
    operation_ids = {
        operation["operationId"]
        for path_item in document["paths"].values()
        for operation in path_item.values()
    }
    targets = {
        link["operationId"]
        for path_item in document["paths"].values()
        for operation in path_item.values()
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    }
    assert targets <= operation_ids


def test_a_task_update_requires_the_version_it_was_based_on(tmp_path: Path) -> None:
    """The view refuses a PATCH without expected_version; the schema used to call it optional."""
    document = _schema(tmp_path)

    patch = document["paths"]["/api/v1/tasks/{public_id}/"]["patch"]
    assert patch["requestBody"]["required"] is True
    assert document["components"]["schemas"]["PatchedTaskUpdateRequest"]["required"] == [
        "expected_version"
    ]
