from django.urls import path

from moderation import views

app_name = "moderation"

_SIGNATURES = "organize/letters/<slug:slug>/signatures/"

urlpatterns = [
    path("letters/<slug:slug>/corrections/", views.corrections, name="corrections"),
    path(_SIGNATURES, views.signature_list, name="list"),
    path(f"{_SIGNATURES}bulk-remove/", views.bulk_remove, name="bulk-remove"),
    path(f"{_SIGNATURES}<int:pk>/", views.signature_detail, name="detail"),
    path(f"{_SIGNATURES}<int:pk>/hold/", views.signature_hold, name="hold"),
    path(f"{_SIGNATURES}<int:pk>/release/", views.signature_release, name="release"),
    path(f"{_SIGNATURES}<int:pk>/remove/", views.signature_remove, name="remove"),
    path(f"{_SIGNATURES}<int:pk>/restore/", views.signature_restore, name="restore"),
    path(f"{_SIGNATURES}<int:pk>/verify/", views.signature_verify, name="verify"),
    path(f"{_SIGNATURES}<int:pk>/unverify/", views.signature_unverify, name="unverify"),
]
