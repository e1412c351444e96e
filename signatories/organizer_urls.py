"""Mounted under organize/letters/<slug:slug>/ in config/urls.py."""

from django.urls import path

from signatories import organizer_views

app_name = "signer_admin"

urlpatterns = [
    path("export/", organizer_views.export, name="export"),
    path("updates/", organizer_views.update_list, name="updates"),
    path("updates/<int:pk>/", organizer_views.update_detail, name="update-detail"),
    path("updates/<int:pk>/send/", organizer_views.update_send, name="update-send"),
]
