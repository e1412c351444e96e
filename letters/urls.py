from django.contrib.sitemaps.views import sitemap
from django.urls import path

from letters import api, feeds, views
from letters.sitemaps import SITEMAPS

app_name = "letters"

urlpatterns = [
    path("", views.index, name="index"),
    path("letters/<slug:slug>/", views.detail, name="detail"),
    path("letters/<slug:slug>/signatories/", views.signatories, name="signatories"),
    path("letters/<slug:slug>/changes/", views.changes, name="changes"),
    path("api/letters/", api.letter_list, name="api-list"),
    path("api/letters/<str:slug>/", api.letter_detail, name="api-detail"),
    path("api/letters/<str:slug>/signatories/", api.signatory_list, name="api-signatories"),
    path("api/openapi.json", api.openapi_document, name="api-openapi"),
    path("feeds/letters.rss", feeds.LatestLettersFeed(), name="feed-rss"),
    path("feeds/letters.atom", feeds.LatestLettersAtomFeed(), name="feed-atom"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
]
