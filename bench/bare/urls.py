from django.urls import path

from bench.bare import views

urlpatterns = [
    path("json/", views.constant_json),
    path("form/", views.entry_form),
    path("form/done/", views.done),
]
