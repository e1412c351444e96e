from django.urls import path

from updates import organizer_views, views

app_name = "updates"

_ORGANIZE = "organize/letters/<slug:slug>/updates/"

urlpatterns = [
    path("letters/<slug:slug>/updates/", views.update_list, name="list"),
    path("letters/<slug:slug>/updates/<int:pk>/", views.update_detail, name="detail"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(_ORGANIZE, organizer_views.update_list, name="organizer-list"),
    path(f"{_ORGANIZE}<int:pk>/", organizer_views.update_detail, name="organizer-detail"),
    path(f"{_ORGANIZE}<int:pk>/send/", organizer_views.update_send, name="send"),
]
