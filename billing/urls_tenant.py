from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.BillingPageView.as_view(), name="page"),
    path("checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("portal/", views.PortalView.as_view(), name="portal"),
]
