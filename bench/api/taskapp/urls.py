from django.urls import URLResolver, include, path
from rest_framework.routers import SimpleRouter

from bench.api.taskapp import api

# Routed as Strata routes its API: a SimpleRouter with path converters, under /api/v1/.
router = SimpleRouter(use_regex_path=False)
router.register("tasks", api.TaskViewSet, basename="task")

urlpatterns: list[URLResolver] = [path("api/v1/", include(router.urls))]
