from django.urls import path

from embeds import api, feeds, sign_views, sitemaps, views

app_name = "embeds"

urlpatterns = [
    path("embed/letters/<slug:slug>/", views.widget, name="widget"),
    path("embed/letters/<slug:slug>/sign/", sign_views.widget_sign, name="widget-sign"),
    path("embed.js", views.loader, name="loader"),
    path("letters/<slug:slug>/badge.svg", views.badge_svg, name="badge"),
    path("letters/<slug:slug>/share.png", views.share_card, name="share-card"),
    path("letters/<slug:slug>/qr.svg", views.qr_svg, name="qr"),
    path("letters/<slug:slug>/figures.json", api.letter_figures_json, name="figures-json"),
    path("letters/<slug:slug>/figures.csv", api.letter_figures_csv, name="figures-csv"),
    path("letters/<slug:slug>/share/mastodon/", views.share_mastodon, name="share-mastodon"),
    path("api/letters/", api.letter_list, name="api-list"),
    path("api/letters/<slug:slug>/shields.json", views.shields, name="shields"),
    path("api/letters/<slug:slug>/", api.letter_detail, name="api-detail"),
    path("api/letters/<slug:slug>/signatories/", api.signatory_list, name="api-signatories"),
    path("api/openapi.json", api.openapi_document, name="api-openapi"),
    path("oembed", views.oembed, name="oembed"),
    path("feeds/letters.rss", feeds.rss, name="feed-rss"),
    path("feeds/letters.atom", feeds.atom, name="feed-atom"),
    path("sitemap.xml", sitemaps.sitemap_xml, name="sitemap"),
]
