"""The reliability suite runs at two sizes: small inside `make test`, full in `make reliability`.

`make reliability` sets STRATA_RELIABILITY_FULL=1; each test reads its sizes through `sized()`,
so the same code proves the property quickly in CI and at the issue's figures on demand.
"""

from __future__ import annotations

import os

FULL = os.environ.get("STRATA_RELIABILITY_FULL", "") == "1"


def sized(fast: int, full: int) -> int:
    """`full` under `make reliability`, `fast` inside `make test`."""
    return full if FULL else fast
