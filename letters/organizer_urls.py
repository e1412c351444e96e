from django.urls import path

from letters import organizer_views as views
from letters import translation_views

app_name = "organize"

urlpatterns = [
    path("new/", views.letter_create, name="letter-create"),
    path("markdown-preview/", views.markdown_preview, name="markdown-preview"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("letters/<slug:slug>/", views.letter_detail, name="letter"),
    path("letters/<slug:slug>/edit/", views.letter_edit, name="letter-edit"),
    path("letters/<slug:slug>/preview/", views.letter_preview, name="letter-preview"),
    path("letters/<slug:slug>/publish/", views.letter_publish, name="letter-publish"),
    path("letters/<slug:slug>/close/", views.letter_close, name="letter-close"),
    path("letters/<slug:slug>/reopen/", views.letter_reopen, name="letter-reopen"),
    path("letters/<slug:slug>/archive/", views.letter_archive, name="letter-archive"),
    path("letters/<slug:slug>/unarchive/", views.letter_unarchive, name="letter-unarchive"),
    path(
        "letters/<slug:slug>/translations/new/",
        translation_views.translation_create,
        name="translation-create",
    ),
    path(
        "letters/<slug:slug>/translations/<str:language>/",
        translation_views.translation_edit,
        name="translation-edit",
    ),
    path(
        "letters/<slug:slug>/translations/<str:language>/delete/",
        translation_views.translation_delete,
        name="translation-delete",
    ),
    path("letters/<slug:slug>/team/", views.team, name="team"),
    path("letters/<slug:slug>/team/invite/", views.invitation_create, name="invite"),
    path(
        "letters/<slug:slug>/team/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path(
        "letters/<slug:slug>/team/<int:membership_id>/remove/",
        views.member_remove,
        name="member-remove",
    ),
    path(
        "letters/<slug:slug>/team/<int:membership_id>/role/", views.member_role, name="member-role"
    ),
    path(
        "letters/<slug:slug>/team/<int:membership_id>/transfer/",
        views.member_transfer,
        name="member-transfer",
    ),
]
