"""Lookups compiled once (letters/prepared.py) give what the ORM gives, in one query."""

import pytest
from django.db.models import Count

from letters.models import Letter
from letters.prepared import PreparedLookup
from letters.selectors import letter_get_public, letter_list_public
from signatories.models import Signature
from signatories.services import signature_for_token
from tests.factories import make_letter, make_pending_signature

pytestmark = pytest.mark.django_db

FIELDS = [field.attname for field in Letter._meta.concrete_fields]


def values(obj: object, names: list[str]) -> dict[str, object]:
    return {name: getattr(obj, name) for name in names}


def test_a_letter_is_read_as_the_orm_reads_it_with_its_current_version(
    django_assert_num_queries,
):
    letter = make_letter(title="Prepared")
    expected = letter_list_public().select_related("current_version").get(pk=letter.pk)
    with django_assert_num_queries(1):
        found = letter_get_public(slug=letter.slug)
        version = found.current_version  # read with the letter, no second query
    assert values(found, FIELDS) == values(expected, FIELDS)
    assert found._state.adding is False and found._state.db == "default"
    assert (version is None) == (expected.current_version is None)
    if version is not None:
        assert version.pk == expected.current_version.pk


def test_a_letter_without_a_current_version_has_none():
    letter = make_letter()
    Letter.objects.filter(pk=letter.pk).update(current_version=None)
    assert letter_get_public(slug=letter.slug).current_version is None


def test_drafts_and_unknown_slugs_are_not_found():
    from django.http import Http404

    draft = make_letter(status=Letter.Status.DRAFT)
    for slug in (draft.slug, "no-such-letter"):
        with pytest.raises(Http404):
            letter_get_public(slug=slug)


def test_a_signature_is_read_with_its_letter_in_one_query(django_assert_num_queries):
    letter = make_letter()
    signature = make_pending_signature(letter=letter, token="a-token")
    with django_assert_num_queries(1):
        found = signature_for_token(token="a-token")
        assert found is not None
        assert found.letter.slug == letter.slug
    names = [field.attname for field in Signature._meta.concrete_fields]
    assert values(found, names) == values(Signature.objects.get(pk=signature.pk), names)
    assert signature_for_token(token="another-token") is None


def test_only_whole_rows_are_prepared():
    annotated = PreparedLookup(
        lambda slug: Letter.objects.annotate(n=Count("pk")).filter(slug=slug)
    )
    with pytest.raises(ValueError):
        annotated.first("x")
    partial = PreparedLookup(lambda slug: Letter.objects.only("pk").filter(slug=slug))
    with pytest.raises(ValueError):
        partial.first("x")
    twice = PreparedLookup(lambda slug: Letter.objects.filter(slug=slug, title=slug))
    with pytest.raises(ValueError):
        twice.first("x")
