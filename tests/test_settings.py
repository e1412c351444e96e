import pytest
from django.conf import global_settings
from django.contrib.auth.hashers import get_hasher
from django.core.exceptions import ImproperlyConfigured

from config.settings import env_bool, env_int, env_list
from tests.processes import PRODUCTION, settings_in_child


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("OFF", False), ("1", True), ("", None)]
)
def test_booleans_are_read_strictly(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", None) is expected  # type: ignore[arg-type]


def test_a_malformed_boolean_fails_loudly(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG='maybe' is not a boolean"):
        env_bool("SOME_FLAG", False)


@pytest.mark.parametrize("raw", ["ten", "-1"])
def test_a_malformed_number_fails_loudly(monkeypatch, raw):
    monkeypatch.setenv("SOME_NUMBER", raw)
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        env_int("SOME_NUMBER", 3)


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("SOME_LIST", "a.example, b.example,,")
    assert env_list("SOME_LIST", []) == ["a.example", "b.example"]


def test_production_without_a_secret_key_refuses_to_start():
    result = settings_in_child(DATABASE_URL="postgres://postgres@127.0.0.1:5432/x")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_relative_site_url_refuses_to_start(tmp_path):
    result = settings_in_child(SITE_URL="example.org", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SITE_URL='example.org' must be an absolute http(s) URL" in result.stderr


def test_production_turns_on_the_https_settings_by_default():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS > 0, s.SECURE_PROXY_SSL_HEADER)"
    )
    result = settings_in_child(code, **PRODUCTION)
    assert result.stdout.split() == [
        "False", "True", "True", "True", "True", "('HTTP_X_FORWARDED_PROTO',", "'https')",
    ]  # fmt: skip


def test_password_hashers_are_never_read_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(','.join(settings.PASSWORD_HASHERS))"
    )
    result = settings_in_child(
        code, **PRODUCTION, PASSWORD_HASHERS="django.contrib.auth.hashers.MD5PasswordHasher"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(",") == global_settings.PASSWORD_HASHERS


def test_the_suite_hashes_passwords_with_md5_to_stay_fast():
    assert get_hasher().algorithm == "md5"
