from typing import Any

from django.db.backends.postgresql.base import DatabaseWrapper as _PostgresWrapper

class FakeTenant:
    schema_name: str
    def __init__(self, schema_name: str, tenant_type: str | None = ...) -> None: ...

class DatabaseWrapper(_PostgresWrapper):
    tenant: Any
    schema_name: str
    search_path_set_schemas: list[str] | None
    include_public_schema: bool
    def set_tenant(self, tenant: Any, include_public: bool = ...) -> None: ...
    def set_schema(self, schema_name: str, include_public: bool = ..., tenant_type: str | None = ...) -> None: ...
    def set_schema_to_public(self) -> None: ...
