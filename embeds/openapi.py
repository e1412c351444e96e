"""The OpenAPI 3.1 description of the public read API, served at /api/openapi.json."""

import hashlib
import json
from functools import cache
from typing import Any

from django.conf import settings

_CACHE_HEADERS = {
    "ETag": {
        "description": "Send it back in If-None-Match to get a 304.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "public, max-age=15, stale-while-revalidate=30, stale-if-error=86400",
        "schema": {"type": "string"},
    },
    "Access-Control-Allow-Origin": {"schema": {"type": "string", "const": "*"}},
}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _CACHE_HEADERS,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_NOT_MODIFIED = {"description": "Not modified: the If-None-Match ETag is current."}
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
_CURSOR = {
    "name": "cursor",
    "in": "query",
    "description": "Opaque; take it from the `next` link of the previous page.",
    "schema": {"type": "string"},
}
_LIMIT = {
    "name": "limit",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
}
_NULLABLE_STRING = {"type": ["string", "null"]}
_LANG = {
    "name": "lang",
    "in": "query",
    "description": "A language code (fr, ar, pt-br): the letter's text in that language, with "
    "`text` and `languages` added. Without it, the original.",
    "schema": {"type": "string"},
}

_SCHEMAS: dict[str, Any] = {
    "Letter": {
        "type": "object",
        "required": ["slug", "title", "status", "open", "signature_count", "url", "updated_at"],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "status": {"type": "string", "enum": ["published", "closed", "archived"]},
            "open": {"type": "boolean", "description": "Whether it accepts signatures now."},
            "language": {"type": "string"},
            "signature_count": {"type": "integer", "description": "Confirmed signatures."},
            "goal": {"type": ["integer", "null"]},
            "published_at": {**_NULLABLE_STRING, "format": "date-time"},
            "closes_at": {**_NULLABLE_STRING, "format": "date-time"},
            "url": {"type": "string", "format": "uri"},
            "updated_at": {"type": "string", "format": "date-time"},
            "text": {
                "type": "object",
                "description": "With `?lang=` only: the text in that language.",
                "properties": {
                    "language": {"type": "string"},
                    "original": {"type": "boolean"},
                    "direction": {"type": "string", "enum": ["ltr", "rtl"]},
                    "title": {"type": "string"},
                    "summary": {"type": "string"},
                    "body": {"type": "string", "description": "Markdown."},
                    "version": {"type": ["integer", "null"]},
                },
            },
            "languages": {
                "type": "array",
                "description": "With `?lang=` only: every language the letter can be read in.",
                "items": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "original": {"type": "boolean"},
                        "url": {"type": "string", "format": "uri"},
                        "api_url": {"type": "string", "format": "uri"},
                    },
                },
            },
        },
    },
    "LetterPage": {
        "type": "object",
        "required": ["results", "next"],
        "properties": {
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Letter"}},
            "next": {**_NULLABLE_STRING, "format": "uri"},
        },
    },
    "Signatory": {
        "type": "object",
        "description": "A confirmed signatory who chose to be named. Emails are never published.",
        "properties": {
            "name": {"type": "string"},
            "role": {"type": "string"},
            "organization": {"type": "string"},
            "country": {"type": "string", "description": "ISO 3166-1 alpha-2 code or empty."},
            "city": {"type": "string"},
            "comment": {"type": "string"},
            "confirmed_at": {"type": "string", "format": "date-time"},
            "verified": {"type": "boolean", "description": "Verified by the organizers."},
        },
    },
    "SignatoryPage": {
        "type": "object",
        "required": ["letter", "signature_count", "named_count", "results", "next"],
        "properties": {
            "letter": {"type": "string"},
            "signature_count": {"type": "integer"},
            "named_count": {"type": "integer"},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Signatory"}},
            "next": {**_NULLABLE_STRING, "format": "uri"},
        },
    },
    "Shields": {
        "type": "object",
        "description": "The Shields.io endpoint badge format.",
        "required": ["schemaVersion", "label", "message"],
        "properties": {
            "schemaVersion": {"type": "integer", "const": 1},
            "label": {"type": "string"},
            "message": {
                "type": "string",
                "description": "The count, written as the letter's language writes numbers "
                "(1,234 in English, 1.234 in German).",
            },
            "color": {"type": "string"},
        },
    },
    "OEmbed": {
        "type": "object",
        "required": ["version", "type", "html", "width", "height"],
        "properties": {
            "version": {"type": "string", "const": "1.0"},
            "type": {"type": "string", "const": "rich"},
            "title": {"type": "string"},
            "provider_name": {"type": "string"},
            "provider_url": {"type": "string"},
            "html": {"type": "string"},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "cache_age": {"type": "integer"},
            "thumbnail_url": {"type": "string"},
            "thumbnail_width": {"type": "integer"},
            "thumbnail_height": {"type": "integer"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
            }
        },
    },
}


def _get(summary: str, responses: dict[str, Any], parameters: list[Any]) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": parameters, "responses": responses}}


def _paths() -> dict[str, Any]:
    return {
        "/api/letters/": _get(
            "The letters of the public index (published and closed), newest first.",
            {"200": _ok("LetterPage", "A page of letters."), "304": _NOT_MODIFIED,
             "400": _error("A bad cursor or limit.")},
            [_CURSOR, _LIMIT],
        ),
        "/api/letters/{slug}/": _get(
            "One letter and its live count.",
            {"200": _ok("Letter", "The letter."), "304": _NOT_MODIFIED,
             "400": _error("`lang` is not a language code."),
             "404": _error("No published letter has this slug (drafts included), or it "
                           "has no text in the language of `lang`.")},
            [_SLUG, _LANG],
        ),
        "/api/letters/{slug}/signatories/": _get(
            "Confirmed, named signatories, newest first (cursor over confirmed_at and id).",
            {"200": _ok("SignatoryPage", "A page of signatories."), "304": _NOT_MODIFIED,
             "400": _error("A bad cursor or limit."), "404": _error("No such published letter.")},
            [_SLUG, _CURSOR, _LIMIT],
        ),
        "/api/letters/{slug}/shields.json": _get(
            "The count in the Shields.io endpoint format.",
            {"200": _ok("Shields", "Badge data."), "304": _NOT_MODIFIED,
             "404": _error("No such published letter, whatever the name asked for.")},
            [_SLUG],
        ),
        "/oembed": _get(
            "oEmbed for a letter page URL.",
            {"200": _ok("OEmbed", "A rich embed: one iframe."), "304": _NOT_MODIFIED,
             "404": _error("Not a published letter of this site."),
             "501": _error("Only format=json is supported.")},
            [
                {"name": "url", "in": "query", "required": True, "schema": {"type": "string"}},
                {"name": "format", "in": "query",
                 "schema": {"type": "string", "enum": ["json", ""]},
                 "description": "json; empty or absent means json."},
                {"name": "maxwidth", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "maxheight", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "lang", "in": "query", "schema": {"type": "string"},
                 "description": "A language of the letter's text (else the url's ?lang=, "
                                "else the original)."},
            ],
        ),
    }  # fmt: skip


@cache
def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{settings.SITE_NAME} public API",
            "version": "1",
            "description": "Read-only, public and cacheable. See docs/api.md.",
        },
        "servers": [{"url": settings.SITE_URL}],
        "paths": _paths(),
        "components": {"schemas": _SCHEMAS},
    }


@cache
def digest() -> str:
    return hashlib.sha256(json.dumps(document(), sort_keys=True).encode()).hexdigest()
