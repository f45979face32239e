from django.urls import URLPattern, path

from bench.routing.benchapp import views

urlpatterns: list[URLPattern] = [
    path("ping/", views.ping, name="ping"),
    path("api/items/", views.ItemList.as_view(), name="items"),
    path("api/workspace/", views.workspace, name="workspace"),
]
