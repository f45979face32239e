from django.urls import path

from billing import views

app_name = "billing_public"

urlpatterns = [
    path("stripe/webhook/", views.StripeWebhookView.as_view(), name="stripe_webhook"),
    path("restore/<slug:slug>/", views.RestoreView.as_view(), name="restore"),
]
