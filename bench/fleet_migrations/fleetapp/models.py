from __future__ import annotations

from typing import ClassVar

from django.db import models


class Note(models.Model):
    """A small tenant table; `pinned` is the field that migration 0002 adds."""

    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    pinned = models.BooleanField(default=False)

    # Declared because the type checker's Django settings do not install this app.
    objects: ClassVar[models.Manager[Note]] = models.Manager()

    def __str__(self) -> str:
        return self.title
