"""Tenant files live under one prefix per tenant in the default storage: `tenants/<schema>/`.

Keyed by the schema name (opaque, never reused, unchanged by a rename), so a tenant's files can
be listed, exported and purged by prefix, on the file system and on S3-compatible storage alike.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core.files.storage import default_storage


def tenant_media_prefix(schema_name: str) -> str:
    return f"tenants/{schema_name}/"


def storage_walk(prefix: str) -> Iterator[str]:
    """Every file name under `prefix` (a directory-like path ending in "/")."""
    try:
        directories, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{prefix}{name}"
    for directory in directories:
        yield from storage_walk(f"{prefix}{directory}/")


def storage_delete_prefix(prefix: str) -> int:
    """Delete every file under `prefix`; returns how many."""
    names = list(storage_walk(prefix))
    for name in names:
        default_storage.delete(name)
    return len(names)
