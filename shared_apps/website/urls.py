from django.urls import path

from shared_apps.website import views

app_name = "website"

urlpatterns = [
    path("", views.landing, name="landing"),
]
