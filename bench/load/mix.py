"""What the load sends and what counts as success, shared by the locustfile (which sends it) and
the runner (which judges it). Plain Python: neither Django nor locust is imported here.

A quiet workspace repeats CYCLE, one request at a time at its fixed rate: API reads, API writes
(a task created, then completed with the version the create returned) and page views with a
member's session. The noisy workspace sends NOISY_ENDPOINT only, during the noisy windows.
"""

from __future__ import annotations

from dataclasses import dataclass

QUIET = "quiet"
NOISY = "noisy"

API_READ = "API read"
API_WRITE = "API write"
PAGE = "page view"

PAGE_SIZE = 20

# Windows of the run, in the order run.py schedules them.
QUIET_WINDOW = "quiet"
NOISY_WINDOW = "noisy"


@dataclass(frozen=True)
class Endpoint:
    # How results are named: method and route, never a URL with ids in it.
    name: str
    kind: str
    # The one status that counts as success for a quiet workspace.
    expected: int


LIST = Endpoint(f"GET /api/v1/tasks/?page_size={PAGE_SIZE}", API_READ, 200)
DETAIL = Endpoint("GET /api/v1/tasks/{id}/", API_READ, 200)
CREATE = Endpoint("POST /api/v1/tasks/", API_WRITE, 201)
UPDATE = Endpoint("PATCH /api/v1/tasks/{id}/", API_WRITE, 200)
BOARD = Endpoint("GET /projects/{key}/board/", PAGE, 200)
TASK_PAGE = Endpoint("GET /projects/{key}/{number}/", PAGE, 200)
HOME = Endpoint("GET /", PAGE, 200)
ENDPOINTS = (LIST, DETAIL, CREATE, UPDATE, BOARD, TASK_PAGE, HOME)
BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}

# One round of a quiet workspace: 4 API reads, 2 API writes, 4 page views. UPDATE completes the
# task CREATE made three requests before, so the board's open columns do not grow with the run.
CYCLE = (LIST, BOARD, DETAIL, CREATE, TASK_PAGE, LIST, UPDATE, HOME, DETAIL, BOARD)

NOISY_ENDPOINT = LIST
# What the noisy workspace may get: its budget's 200s and the 429s past it.
NOISY_STATUSES = frozenset({200, 429})


def share(kind: str) -> float:
    """The share of a quiet workspace's requests that are of `kind`."""
    return sum(1 for endpoint in CYCLE if endpoint.kind == kind) / len(CYCLE)
