"""The dossier: the PDF is opened and its text read back (pypdf); the counts are exact."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from dossiers import services
from dossiers.models import Dossier, DossierPart
from dossiers.texts import Text, dossier_texts
from letters import translations
from signatories.models import Signature
from tests.factories import make_letter, make_member, make_signature, make_signatures, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter():
    letter = make_letter(
        title="Clean water for every school",
        organizer_name="Parents for Water",
        addressee="The Minister of Education",
        body="We ask for **clean water** in every school.",
    )
    make_signatures(letter=letter, count=230, role="Teacher", organization="School 9", country="FR")
    make_signatures(letter=letter, count=4, show_name=False, name="Hidden Person")
    make_signature(
        letter=letter, name="Vera Verified", verified_at=timezone.now(), verification_method="other"
    )
    make_signature(
        letter=letter, name="Pending Pat", status=Signature.Status.PENDING, confirmed_at=None
    )
    return letter


def _built(letter, monkeypatch, *, pieces: int = 100) -> Dossier:
    monkeypatch.setattr(services, "NAMES_PER_PIECE", pieces)
    owner = make_member(letter=letter, role="editor").user
    dossier = services.dossier_request(letter=letter, user=owner, language="")
    services.dossier_build(dossier_id=dossier.pk)
    dossier.refresh_from_db()
    return dossier


def _text(dossier: Dossier) -> str:
    data = b"".join(services.dossier_file(dossier=dossier))
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_prints_the_letter_the_exact_count_and_every_named_signatory(letter, monkeypatch):
    dossier = _built(letter, monkeypatch)

    assert dossier.status == Dossier.Status.READY
    assert (dossier.count_all, dossier.count_hidden) == (235, 4)
    assert dossier.done == dossier.total == 231
    text = _text(dossier)
    for words in ("Clean water for every school", "Parents for Water", "The Minister of Education",
                  "clean water", "235", "Chose not to be named", "Teacher, School 9 — France",
                  f"http://testserver{letter.get_absolute_url()}"):  # fmt: skip
        assert words in text, words
    named = letter.signatures.filter(status=Signature.Status.CONFIRMED, show_name=True)
    for name in named.values_list("name", flat=True):
        assert name in text
    assert "Vera Verified ✓" in text or "Vera Verified ✓ verified" in text.replace("\xa0", " ")
    for absent in ("Hidden Person", "Pending Pat", "@example.org"):
        assert absent not in text


def test_the_file_is_kept_in_parts_that_join_to_one_pdf(letter, monkeypatch):
    monkeypatch.setattr(services, "PART_BYTES", 4096)
    dossier = _built(letter, monkeypatch)

    parts = DossierPart.objects.filter(dossier=dossier).count()
    assert parts > 1
    data = b"".join(services.dossier_file(dossier=dossier))
    assert len(data) == dossier.size
    assert data.startswith(b"%PDF-")


def test_running_the_build_twice_makes_one_file(letter, monkeypatch):
    dossier = _built(letter, monkeypatch)
    parts = list(DossierPart.objects.filter(dossier=dossier).values_list("pk", flat=True))

    services.dossier_build(dossier_id=dossier.pk)

    assert list(DossierPart.objects.filter(dossier=dossier).values_list("pk", flat=True)) == parts


def test_a_dossier_whose_worker_went_silent_is_made_again():
    letter = make_letter()
    make_signatures(letter=letter, count=3)
    dossier = Dossier.objects.create(
        letter=letter,
        status=Dossier.Status.BUILDING,
        started_at=timezone.now() - timedelta(hours=1),
    )

    services.dossier_build(dossier_id=dossier.pk)

    dossier.refresh_from_db()
    assert dossier.status == Dossier.Status.READY
    assert dossier.count_all == 3


def test_a_failure_is_shown_on_the_dossier(letter, monkeypatch):
    def broken(**kwargs):
        raise ValueError("no fonts")

    monkeypatch.setattr(services.render, "pdf_write", broken)
    dossier = _built(letter, monkeypatch)

    assert dossier.status == Dossier.Status.FAILED
    assert "no fonts" in dossier.error
    assert not DossierPart.objects.filter(dossier=dossier).exists()


def test_only_the_newest_finished_dossiers_are_kept(monkeypatch):
    letter = make_letter()
    make_signatures(letter=letter, count=2)
    built = [_built(letter, monkeypatch) for _ in range(services.KEEP + 1)]

    assert set(Dossier.objects.values_list("pk", flat=True)) == {d.pk for d in built[1:]}


def test_the_texts_come_through_one_function_with_their_direction():
    letter = make_letter(language="en")

    (text,) = dossier_texts(letter=letter)

    assert (text.language, text.title, text.direction) == ("en", letter.title, "ltr")
    assert "<em>ask</em>" in text.body_html
    assert dossier_texts(letter=letter, language="de") == []


def _editor(client, letter, role="editor"):
    client.force_login(make_member(letter=letter, role=role).user)


def test_an_editor_asks_for_a_dossier_and_the_page_shows_its_progress(client, letter):
    _editor(client, letter)
    url = reverse("dossiers:page", args=[letter.slug])

    response = client.post(url, {"language": letter.language})

    assert response.status_code == 302
    dossier = Dossier.objects.get(letter=letter)
    assert (dossier.status, dossier.language) == (Dossier.Status.QUEUED, letter.language)
    Dossier.objects.filter(pk=dossier.pk).update(status="building", total=200, done=50)
    page = client.get(url).content.decode()
    assert "<td>English</td>" in page
    assert '<progress max="100" value="25">' in page
    assert 'http-equiv="refresh"' in page


def test_an_unknown_language_gets_a_clear_message_and_stores_nothing(client, letter):
    _editor(client, letter)

    response = client.post(reverse("dossiers:page", args=[letter.slug]), {"language": "xx"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Dossier.objects.exists()


def test_a_second_request_while_one_is_made_is_refused_and_stores_nothing(client, letter):
    _editor(client, letter)
    url = reverse("dossiers:page", args=[letter.slug])
    client.post(url, {"language": ""})

    response = client.post(url, {"language": ""})

    assert response.status_code == 409
    assert "being made already" in response.content.decode()
    assert Dossier.objects.count() == 1


def test_a_viewer_cannot_ask_for_a_dossier(client, letter):
    _editor(client, letter, role="viewer")

    response = client.post(reverse("dossiers:page", args=[letter.slug]), {"language": ""})

    assert response.status_code == 403
    assert not Dossier.objects.exists()


def test_the_download_is_an_attachment_for_the_letters_organizers_only(client, letter, monkeypatch):
    dossier = _built(letter, monkeypatch)
    url = reverse("dossiers:download", args=[letter.slug, dossier.pk])

    assert client.get(url).status_code == 302  # to the login page
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    _editor(client, letter, role="viewer")
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="{letter.slug}-dossier-'
    )
    assert b"".join(response.streaming_content) == b"".join(services.dossier_file(dossier=dossier))


def test_a_dossier_of_another_letter_is_not_found(client, letter, monkeypatch):
    dossier = _built(letter, monkeypatch)
    other = make_letter()
    _editor(client, other)

    response = client.get(reverse("dossiers:download", args=[other.slug, dossier.pk]))

    assert response.status_code == 404


def test_the_print_page_streams_the_same_content(client, letter):
    _editor(client, letter, role="viewer")

    response = client.get(reverse("dossiers:print", args=[letter.slug]))

    assert response.status_code == 200
    page = b"".join(response.streaming_content).decode()
    assert "Parents for Water" in page and "The Minister of Education" in page
    assert '<dd class="dossier-count">235</dd>' in page
    assert '<dd class="dossier-hidden">4</dd>' in page
    assert page.count('<span class="name">') == 231
    assert "Hidden Person" not in page and "@example.org" not in page
    assert 'src="data:image/svg+xml' in page
    assert page.rstrip().endswith("</html>")


def test_the_print_page_refuses_a_language_the_letter_does_not_have(client, letter):
    _editor(client, letter, role="viewer")
    url = reverse("dossiers:print", args=[letter.slug])

    assert client.get(url, {"language": "xx"}).status_code == 404
    assert client.get(url, {"language": letter.language}).status_code == 200


def test_a_dossier_prints_the_chosen_translation_or_every_text(letter, monkeypatch):
    owner = make_member(letter=letter, role="editor").user
    french = {
        "title": "De l'eau propre dans chaque école",
        "summary": "Un résumé.",
        "body": "Nous demandons de l'eau propre dans chaque école.",
        "thank_you_message": "Merci.",
    }
    translations.translation_create(letter=letter, user=owner, language="fr", fields=french)

    assert [text.language for text in dossier_texts(letter=letter)] == ["en", "fr"]
    monkeypatch.setattr(services, "NAMES_PER_PIECE", 100)
    one = services.dossier_request(letter=letter, user=owner, language="fr")
    services.dossier_build(dossier_id=one.pk)
    one.refresh_from_db()
    text = _text(one)
    assert "Nous demandons de l'eau propre" in text
    assert "We ask for" not in text

    every = services.dossier_request(letter=letter, user=owner, language="")
    services.dossier_build(dossier_id=every.pk)
    every.refresh_from_db()
    text = _text(every)
    assert "Nous demandons de l'eau propre" in text and "clean water" in text


def test_a_right_to_left_text_is_marked_so():
    assert Text(language="ar", title="t", body_html="").direction == "rtl"
    assert Text(language="fr", title="t", body_html="").direction == "ltr"


def test_the_sweep_queues_again_only_the_dossiers_no_worker_is_making(monkeypatch):
    letter = make_letter()
    long_ago = timezone.now() - timedelta(hours=1)
    lost = Dossier.objects.create(letter=letter)
    Dossier.objects.filter(pk=lost.pk).update(created_at=long_ago)
    Dossier.objects.create(letter=make_letter())  # just asked for: its task is on its way
    silent = Dossier.objects.create(letter=make_letter(), status="building", started_at=long_ago)
    Dossier.objects.create(letter=make_letter(), status="building", started_at=timezone.now())
    queued = []
    monkeypatch.setattr(services, "enqueue", lambda task, **kwargs: queued.append(kwargs) or True)

    assert services.dossiers_resume() == 2

    assert sorted(q["dossier_id"] for q in queued) == sorted([lost.pk, silent.pk])
