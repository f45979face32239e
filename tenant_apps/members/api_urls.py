from django.urls import path

from tenant_apps.members import api

app_name = "members-api"

urlpatterns = [
    path("members/", api.MemberList.as_view(), name="list"),
]
