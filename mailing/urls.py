from django.urls import path

from mailing import views

app_name = "mailing"

urlpatterns = [
    path("never-email/<str:token>/", views.never, name="never"),
]
