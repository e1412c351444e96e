from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path(
        "organize/letters/<slug:slug>/notifications/",
        views.preferences,
        name="preferences",
    ),
]
