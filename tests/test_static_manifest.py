"""Production serves static files through a manifest of hashed names, and a name missing from
the manifest is an error at render time. The rest of the suite runs without the manifest, so
these tests collect the static files for real and render every page that names one."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.template import engines

from tests.factories import make_letter, make_member, make_user
from tests.processes import PRODUCTION, settings_in_child

pytestmark = pytest.mark.django_db

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture
def manifest_static(settings, tmp_path: Path) -> None:
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = settings.STORAGES | {"staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    call_command("collectstatic", interactive=False, verbosity=0)


def test_production_uses_the_manifest_storage_under_test():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.STORAGES['staticfiles']['BACKEND'])"
    )
    result = settings_in_child(code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == MANIFEST_STORAGE


def test_every_page_naming_a_static_file_renders_with_the_manifest(client, manifest_static):
    letter = make_letter()
    organizer = make_user()
    make_member(letter=letter, user=organizer)
    public = ["/", f"/letters/{letter.slug}/", f"/embed/letters/{letter.slug}/", "/accounts/login/"]
    organizer_only = ["/organize/new/", f"/organize/letters/{letter.slug}/edit/"]

    for path in public:
        assert client.get(path).status_code == 200, path
    client.force_login(organizer)
    for path in organizer_only:
        assert client.get(path).status_code == 200, path

    hashed = staticfiles_storage.url("css/site.css")
    assert hashed != "/static/css/site.css"
    assert hashed in client.get("/").content.decode()


def test_a_template_naming_a_missing_static_file_fails(manifest_static):
    template = engines["django"].from_string('{% load static %}{% static "js/does-not-exist.js" %}')
    missing = "Missing staticfiles manifest entry for 'js/does-not-exist.js'"
    with pytest.raises(ValueError, match=re.escape(missing)):
        template.render({})
