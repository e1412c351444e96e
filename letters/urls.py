from django.urls import path

from letters import views

app_name = "letters"

urlpatterns = [
    path("", views.index, name="index"),
    path("letters/<slug:slug>/", views.detail, name="detail"),
    path("letters/<slug:slug>/changes/", views.changes, name="changes"),
]
