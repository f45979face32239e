from typing import Any, ClassVar

from django.db import models

class TenantMixin(models.Model):
    auto_drop_schema: ClassVar[bool]
    auto_create_schema: ClassVar[bool]
    schema_name: models.CharField[str, str]
    domain_url: str | None
    def activate(self) -> None: ...
    @classmethod
    def deactivate(cls) -> None: ...
    def save(self, verbosity: int = ..., *args: Any, **kwargs: Any) -> None: ...

class DomainMixin(models.Model):
    domain: models.CharField[str, str]
    tenant: Any
    tenant_id: int
    is_primary: models.BooleanField[bool, bool]
