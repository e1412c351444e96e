from django.urls import path

from dossiers import views

app_name = "dossiers"

_ORGANIZE = "organize/letters/<slug:slug>/dossier/"

urlpatterns = [
    path(_ORGANIZE, views.dossier_page, name="page"),
    path(f"{_ORGANIZE}print/", views.dossier_print, name="print"),
    path(f"{_ORGANIZE}<int:pk>/download/", views.dossier_download, name="download"),
]
