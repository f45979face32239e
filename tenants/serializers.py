"""Serializer fields every API of Strata shares."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from django.db import models
from rest_framework import serializers

_M = TypeVar("_M", bound=models.Model)


class StrictCharField(serializers.CharField):
    """A CharField that takes text only. DRF's own turns a number into its digits (`{"name":
    42}` becomes "42"), which hides a client's mistake instead of naming it."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class StrictModelSerializer(serializers.ModelSerializer[_M]):
    """DRF's ModelSerializer whose text fields take text only (StrictCharField)."""

    serializer_field_mapping: ClassVar[
        dict[type[models.Field[Any, Any]], type[serializers.Field[Any, Any, Any, Any]]]
    ] = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }
