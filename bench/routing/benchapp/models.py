from __future__ import annotations

from typing import ClassVar

from django.db import models


class Item(models.Model):
    """A small row of the kind a list endpoint serves; a tenant table under tenancy."""

    sku = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    # Declared because the type checker's Django settings do not install this app.
    objects: ClassVar[models.Manager[Item]] = models.Manager()

    def __str__(self) -> str:
        return self.sku
