from typing import Any

from rest_framework.filters import BaseFilterBackend

from django_filters import (
    BooleanFilter as BooleanFilter,
    CharFilter as CharFilter,
    ChoiceFilter as ChoiceFilter,
    DateFilter as DateFilter,
    Filter as Filter,
    FilterSet as FilterSet,
    ModelChoiceFilter as ModelChoiceFilter,
    MultipleChoiceFilter as MultipleChoiceFilter,
    NumberFilter as NumberFilter,
    OrderingFilter as OrderingFilter,
    UUIDFilter as UUIDFilter,
)

class DjangoFilterBackend(BaseFilterBackend):
    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]: ...
