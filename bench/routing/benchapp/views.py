from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from rest_framework import generics

from bench.routing.benchapp.models import Item
from bench.routing.benchapp.serializers import ItemSerializer


def ping(request: HttpRequest) -> JsonResponse:
    """Touches no table: whatever SQL a request to it costs, the routing issued."""
    return JsonResponse({"status": "ok", "service": "bench"})


class ItemList(generics.ListAPIView[Item]):
    """One query, no pagination: the smallest realistic API read."""

    serializer_class = ItemSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Item]:
        return Item.objects.order_by("id")
