from django.urls import path

from embeds import views

app_name = "embeds"

urlpatterns = [
    path("embed/letters/<slug:slug>/", views.widget, name="widget"),
    path("embed.js", views.loader, name="loader"),
    path("letters/<slug:slug>/badge.svg", views.badge_svg, name="badge"),
    path("letters/<slug:slug>/share.png", views.share_card, name="share-card"),
    path("api/letters/<slug:slug>/shields.json", views.shields, name="shields"),
    path("oembed", views.oembed, name="oembed"),
]
