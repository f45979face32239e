from django.urls import path

from shared_apps.website import views

app_name = "website"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("pricing/", views.pricing, name="pricing"),
    path("signup/", views.signup, name="signup"),
    path("signup/subdomain/", views.subdomain_check, name="subdomain_check"),
]
