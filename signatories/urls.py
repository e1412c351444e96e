from django.urls import path

from signatories import organizer_views, views

app_name = "signatories"

urlpatterns = [
    path("letters/<slug:slug>/signatories/", views.signatory_list, name="list"),
    path("letters/<slug:slug>/figures/", views.figures, name="figures"),
    path("letters/<slug:slug>/sign/", views.sign, name="sign"),
    path("letters/<slug:slug>/check-your-inbox/", views.check_inbox, name="check-inbox"),
    path("letters/<slug:slug>/new-link/", views.resend, name="resend"),
    path("letters/<slug:slug>/withdraw/", views.withdraw_request, name="withdraw-request"),
    path("challenge/", views.challenge_new, name="challenge"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("withdraw/<str:token>/", views.withdraw, name="withdraw"),
    path("not-me/<str:token>/", views.not_me, name="not-me"),
    path("organize/", organizer_views.dashboard, name="dashboard"),
    path("organize/letters/<slug:slug>/export/", organizer_views.export, name="export"),
    path("organize/letters/<slug:slug>/sources/", organizer_views.sources, name="sources"),
]
