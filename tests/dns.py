"""A DNS for tests: TXT records that tests publish, looked up by tenants.domains."""

from __future__ import annotations

TXT: dict[str, list[str]] = {}


def txt_records(name: str) -> list[str]:
    return list(TXT.get(name, []))


def publish(name: str, value: str) -> None:
    TXT.setdefault(name, []).append(value)


def clear() -> None:
    TXT.clear()
