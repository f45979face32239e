# The part of django-filter Strata uses (the package ships no types).
from django_filters.filters import (
    BooleanFilter as BooleanFilter,
    CharFilter as CharFilter,
    ChoiceFilter as ChoiceFilter,
    DateFilter as DateFilter,
    Filter as Filter,
    ModelChoiceFilter as ModelChoiceFilter,
    MultipleChoiceFilter as MultipleChoiceFilter,
    NumberFilter as NumberFilter,
    OrderingFilter as OrderingFilter,
    UUIDFilter as UUIDFilter,
)
from django_filters.filterset import FilterSet as FilterSet
