"""Stripe stays behind one module: nothing else in the application imports `stripe`."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPLICATION = ("config", "tenants", "shared_apps", "tenant_apps", "billing")
THE_ONE = ROOT / "billing" / "stripe_client.py"


def _imports_stripe(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        if any(name == "stripe" or name.startswith("stripe.") for name in names):
            return True
    return False


def test_only_the_stripe_client_imports_stripe() -> None:
    sources = [path for package in APPLICATION for path in (ROOT / package).rglob("*.py")]
    assert THE_ONE in sources
    importers = sorted(str(p.relative_to(ROOT)) for p in sources if _imports_stripe(p))
    assert importers == ["billing/stripe_client.py"]
