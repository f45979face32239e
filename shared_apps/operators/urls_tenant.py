from django.urls import path

from shared_apps.operators import views

urlpatterns = [
    path("end/", views.EndImpersonationView.as_view(), name="impersonation_end"),
]
