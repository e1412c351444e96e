from django.urls import path

from signatories import moderation_views as views

app_name = "moderation"

urlpatterns = [
    path("", views.signature_list, name="list"),
    path("bulk-remove/", views.bulk_remove, name="bulk-remove"),
    path("<int:pk>/", views.signature_detail, name="detail"),
    path("<int:pk>/hold/", views.signature_hold, name="hold"),
    path("<int:pk>/release/", views.signature_release, name="release"),
    path("<int:pk>/remove/", views.signature_remove, name="remove"),
    path("<int:pk>/restore/", views.signature_restore, name="restore"),
    path("<int:pk>/verify/", views.signature_verify, name="verify"),
    path("<int:pk>/unverify/", views.signature_unverify, name="unverify"),
]
