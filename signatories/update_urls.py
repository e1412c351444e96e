from django.urls import path

from signatories import update_views

app_name = "updates"

urlpatterns = [
    path("letters/<slug:slug>/updates/", update_views.update_list, name="list"),
    path("letters/<slug:slug>/updates/<int:pk>/", update_views.update_detail, name="detail"),
    path("unsubscribe/<str:token>/", update_views.unsubscribe, name="unsubscribe"),
]
