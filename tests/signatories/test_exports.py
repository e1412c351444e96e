import csv
import io
import json

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.urls import reverse

from signatories.exports import EXPORT_FIELDS, csv_cell, export_columns
from signatories.models import ExportLog, Signature
from tests.factories import make_letter, make_organizer, make_signature, make_signatures

pytestmark = pytest.mark.django_db


def _url(letter):
    return reverse("signatories:export", kwargs={"slug": letter.slug})


def _content(response) -> str:
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def letter():
    return make_letter()


@pytest.fixture
def editor_client(client, letter):
    client.force_login(make_organizer(letter=letter, role="editor"))
    return client


def test_the_csv_lists_only_confirmed_signatures_with_the_chosen_columns(editor_client, letter):
    make_signature(letter=letter, name="Ada Lovelace", email="ada@example.org", city="London")
    make_signature(letter=letter, name="Pending Person", status=Signature.Status.PENDING)
    make_signature(name="On another letter")
    response = editor_client.post(_url(letter), {"format": "csv", "columns": ["name", "email"]})
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{letter.slug}-')
    assert response["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(_content(response))))
    assert rows == [["Name", "Email"], ["Ada Lovelace", "ada@example.org"]]


def test_the_json_export_is_one_valid_array_of_objects(editor_client, letter):
    first = make_signature(letter=letter, name="Ada", country="GB", opt_in_updates=True)
    make_signature(letter=letter, name="Grace", show_name=False)
    make_signature(letter=letter, name="Pending", status=Signature.Status.PENDING)
    fields = ["name", "country", "show_name", "opt_in_updates", "confirmed_at"]
    response = editor_client.post(_url(letter), {"format": "json", "columns": fields})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/json"
    data = json.loads(_content(response))
    assert [row["name"] for row in data] == ["Ada", "Grace"]
    assert data[0] == {
        "name": "Ada",
        "country": "GB",
        "show_name": True,
        "opt_in_updates": True,
        "confirmed_at": first.confirmed_at.isoformat(),
    }
    assert data[1]["show_name"] is False
    assert set(data[1]) == set(fields)


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(editor_client, letter):
    dangerous = ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "\tTab", "\rReturn"]
    for value in dangerous:
        make_signature(letter=letter, name=value, comment="safe = text")
    response = editor_client.post(_url(letter), {"format": "csv", "columns": ["name", "comment"]})
    rows = list(csv.reader(io.StringIO(_content(response), newline="")))
    assert [row[0] for row in rows[1:]] == ["'" + value for value in dangerous]
    assert {row[1] for row in rows[1:]} == {"safe = text"}


def test_json_keeps_the_exact_text_because_no_spreadsheet_evaluates_it(editor_client, letter):
    make_signature(letter=letter, name="=1+1")
    response = editor_client.post(_url(letter), {"format": "json", "columns": ["name"]})
    assert json.loads(_content(response)) == [{"name": "=1+1"}]


def test_csv_cell_leaves_ordinary_values_alone():
    assert csv_cell("Ada") == "Ada"
    assert csv_cell("Ada = Grace") == "Ada = Grace"
    assert csv_cell(True) == "true"
    assert csv_cell(None) == ""


def test_every_export_is_logged_with_who_what_and_how_many(editor_client, letter):
    make_signatures(letter=letter, count=3)
    editor_client.post(_url(letter), {"format": "csv", "columns": ["email", "name"]})
    log = ExportLog.objects.get()
    assert log.letter == letter
    assert log.user.username.startswith("organizer")
    assert log.format == "csv"
    assert log.fields == ["name", "email"]
    assert log.row_count == 3
    page = editor_client.get(_url(letter))
    assert log.user.username in page.content.decode()


def test_an_empty_letter_gives_a_clear_message_and_no_file(editor_client, letter):
    make_signature(letter=letter, status=Signature.Status.PENDING)
    response = editor_client.post(_url(letter), {"format": "csv", "columns": ["name"]})
    assert response.status_code == 409
    assert not isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/html")
    assert "nothing to export" in response.content.decode()
    assert ExportLog.objects.count() == 0


def test_an_export_without_any_column_is_refused_with_a_message(editor_client, letter):
    make_signature(letter=letter)
    response = editor_client.post(_url(letter), {"format": "csv"})
    assert response.status_code == 400
    assert "Choose at least one column to export." in response.content.decode()
    assert ExportLog.objects.count() == 0


def test_an_unknown_format_or_column_is_refused(editor_client, letter):
    make_signature(letter=letter)
    response = editor_client.post(_url(letter), {"format": "xlsx", "columns": ["token_hash"]})
    assert response.status_code == 400
    assert ExportLog.objects.count() == 0


def test_the_export_form_offers_formats_and_columns(editor_client, letter):
    response = editor_client.get(_url(letter))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ["name", "email", "role", "organization", "country", "comment", "confirmed_at"]:
        assert f'value="{name}"' in html


def test_a_viewer_may_not_export_and_an_outsider_does_not_see_the_letter(client, letter):
    make_signature(letter=letter)
    client.force_login(make_organizer(letter=letter, role="viewer"))
    assert client.post(_url(letter), {"format": "csv", "columns": ["email"]}).status_code == 403
    client.force_login(make_organizer(letter=make_letter(), role="owner"))
    assert client.post(_url(letter), {"format": "csv", "columns": ["email"]}).status_code == 404
    assert ExportLog.objects.count() == 0


def test_an_anonymous_visitor_is_sent_to_log_in(client, letter):
    response = client.get(_url(letter))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_twenty_thousand_rows_stream_with_a_bounded_number_of_queries(
    editor_client, letter, django_assert_max_num_queries
):
    make_signatures(letter=letter, count=20_000, city="=cmd")
    with django_assert_max_num_queries(15):
        response = editor_client.post(
            _url(letter), {"format": "csv", "columns": ["name", "email", "city"]}
        )
        assert isinstance(response, StreamingHttpResponse)
        pieces = iter(response.streaming_content)
        lines = next(pieces).decode().count("\r\n") + next(pieces).decode().count("\r\n")
        # Rows come from a server-side cursor that is still open halfway through.
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
            assert cursor.fetchone()[0] == 1
        for piece in pieces:
            lines += piece.decode().count("\r\n")
    assert lines == 20_001
    assert ExportLog.objects.get().row_count == 20_000


def test_every_column_of_a_csv_export_reads_as_csv_cell_would_write_it(editor_client, letter):
    make_signature(
        letter=letter, name="=cmd", role="-role", organization="@org", country="GB",
        city="+city", comment="\tcomment", show_name=False, opt_in_updates=True,
    )  # fmt: skip
    make_signature(letter=letter, name="Ada", email="ada@example.org", show_name=True)
    fields = list(EXPORT_FIELDS)
    response = editor_client.post(_url(letter), {"format": "csv", "columns": fields})
    rows = list(csv.reader(io.StringIO(_content(response), newline="")))[1:]
    expected = [
        [csv_cell(value) for value in row]
        for row in Signature.objects.filter(letter=letter)
        .order_by("confirmed_at", "pk")
        .values_list(*export_columns(fields))
    ]
    assert rows == expected
    assert rows[0][0] == "'=cmd"
    assert "false" in rows[0] and "true" in rows[0]
