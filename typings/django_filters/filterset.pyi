from typing import Any, ClassVar

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict

from django_filters.filters import Filter

class FilterSet:
    base_filters: ClassVar[dict[str, Filter]]
    filters: dict[str, Filter]
    data: QueryDict | dict[str, Any]
    queryset: QuerySet[Any]
    form: forms.Form
    def __init__(
        self,
        data: QueryDict | dict[str, Any] | None = ...,
        queryset: QuerySet[Any] | None = ...,
        *,
        request: Any = ...,
        prefix: str | None = ...,
    ) -> None: ...
    def is_valid(self) -> bool: ...
    @property
    def errors(self) -> Any: ...
    @property
    def qs(self) -> QuerySet[Any]: ...
