from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("settings/integrations/", views.stripe_settings, name="stripe_settings"),
    path("settings/integrations/stripe/connect/", views.stripe_connect, name="stripe_connect"),
    path("settings/integrations/stripe/test/", views.stripe_test, name="stripe_test"),
    path("settings/integrations/stripe/replace/", views.stripe_replace, name="stripe_replace"),
    path(
        "settings/integrations/stripe/disconnect/",
        views.stripe_disconnect,
        name="stripe_disconnect",
    ),
    path(
        "settings/integrations/stripe/webhook/retry/",
        views.stripe_webhook_retry,
        name="stripe_webhook_retry",
    ),
    path(
        "settings/integrations/stripe/webhook/secret/",
        views.stripe_webhook_secret,
        name="stripe_webhook_secret",
    ),
    path("webhooks/stripe/<str:token>/", views.stripe_webhook, name="stripe_webhook"),
]
