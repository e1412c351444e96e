from django.urls import path

from letters import api, views

app_name = "letters"

urlpatterns = [
    path("", views.index, name="index"),
    path("letters/<slug:slug>/", views.detail, name="detail"),
    path("letters/<slug:slug>/signatories/", views.signatories, name="signatories"),
    path("letters/<slug:slug>/changes/", views.changes, name="changes"),
    path("api/letters/<str:slug>/", api.letter_detail, name="api-detail"),
]
