from __future__ import annotations

from rest_framework import serializers

from bench.routing.benchapp.models import Item


class ItemSerializer(serializers.ModelSerializer[Item]):
    class Meta:
        model = Item
        fields = ("id", "sku", "name", "quantity", "created_at")
