"""OpenAPI links for the APIs' schemas: which answer feeds which next call (a new task's id
into reading, changing and deleting it). drf-spectacular emits none, so each API declares its
own in a postprocessing hook through `links_add`. Clients (and schemathesis's stateful tests)
follow them."""

from __future__ import annotations

from typing import Any

# operationId -> status -> link name -> OpenAPI Link Object (operationId, parameters, body).
Links = dict[str, dict[str, dict[str, dict[str, Any]]]]


def links_add(result: dict[str, Any], links: Links) -> dict[str, Any]:
    """Add `links` to the responses of the operations of `result` that declare them; an
    operation or a target not in this schema is skipped (each API's hook runs on both)."""
    operation_ids = {
        operation.get("operationId")
        for path_item in result.get("paths", {}).values()
        for operation in path_item.values()
    }
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for status, named in links.get(operation.get("operationId", ""), {}).items():
                response = operation.get("responses", {}).get(status)
                if response is None:
                    continue
                for name, link in named.items():
                    if link["operationId"] in operation_ids:
                        response.setdefault("links", {})[name] = link
    return result
