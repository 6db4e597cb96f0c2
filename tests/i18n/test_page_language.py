"""Every page speaks one language: no English label on a Chinese page, no Chinese on an English one.

The pages are every GET-able URL of the web namespace (read from the resolver, so new pages are
covered), rendered for a study that has one of everything. Data is not language: names and values
stored in the database (catalogue names in both languages, factor names, the study's own names)
are allowed on either page; everything else a person reads must be in the page's language.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse

from apps.accounts.enums import Role
from tests import factories
from tests.web.world import NOT_OBJECT_URLS, url_argument, web_patterns

ENGLISH_WORDS = re.compile(r"[A-Za-z]{3,}[\s,.:;()/-]+[A-Za-z]{3,}")
CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e]")
# Text that is the same in both languages: the product's name, the language switcher's own names.
ALWAYS_ALLOWED = {"carbonfoot", "简体中文", "English"}
ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "svg", "code", "pre"}:
            self._skip += 1
        for name, value in attrs:
            if name in ATTRIBUTES and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "svg", "code", "pre"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def _texts(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.texts


DATA_APPS = {"accounts", "catalog", "factors", "inventory", "ledger", "evidence", "exchange"}


def _stored_strings() -> set[str]:
    """Every short text value stored in the data tables: data, whatever its language."""
    values: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label not in DATA_APPS:
            continue
        if model.__name__.startswith("Historical"):
            continue
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))]
        for row in model.objects.values_list(*names):
            values.update(str(v).strip() for v in row if v)
    return values


def _is_data(text: str, stored: set[str]) -> bool:
    if text in ALWAYS_ALLOWED or text in stored:
        return True
    return any(value in text for value in stored if len(value) >= 4)


def _pages(world: dict[str, Any]) -> dict[str, str]:
    """URL -> its name, for every page of the web namespace."""
    urls = {}
    for name, arguments in web_patterns():
        if name in NOT_OBJECT_URLS - {"web:study-list"}:
            continue
        urls[reverse(name, kwargs={a: url_argument(a, world) for a in arguments})] = name
    return urls


# Pages each party must have been shown (so the test cannot pass by being refused everywhere).
MUST_SEE = {
    "supplier": {"web:study-list", "web:study-detail", "web:study-bom", "web:request-detail", "web:submission-detail"},
    "buyer": {"web:study-list", "web:review-inbox", "web:submission-detail", "web:request-list", "web:comparison"},
    "verifier": {"web:verifier-home", "web:submission-detail", "web:notification-list"},
}


# Whose pages: the supplier's manager, the buyer's reviewer and the granted verification body's verifier
# (tests/web/world.py), each seeing the pages of its side.
PARTIES = ("supplier", "buyer", "verifier")


def _client(world: dict[str, Any], language: str, party: str = "supplier") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    if party == "buyer":
        client.force_login(world["exchange"].reviewer)
    elif party == "verifier":
        client.force_login(world["auditor"])
    else:
        client.force_login(factories.make_member(world["organization"], role=Role.MANAGER))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("party", PARTIES)
def test_chinese_pages_carry_no_english_labels(owner_world, party):
    client = _client(owner_world, "zh-hans", party)
    stored = _stored_strings()
    found = []
    seen = set()
    for url, name in _pages(owner_world).items():
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        seen.add(name)
        for text in _texts(response.content.decode()):
            if ENGLISH_WORDS.search(text) and not CJK.search(text) and not _is_data(text, stored):
                found.append((url, text))
    assert found == []
    assert MUST_SEE[party] <= seen


@pytest.mark.django_db
@pytest.mark.parametrize("party", PARTIES)
def test_english_pages_carry_no_chinese(owner_world, party):
    client = _client(owner_world, "en", party)
    stored = _stored_strings()
    found = []
    seen = set()
    for url, name in _pages(owner_world).items():
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        seen.add(name)
        for text in _texts(response.content.decode()):
            if CJK.search(text) and not _is_data(text, stored):
                found.append((url, text))
    assert found == []
    assert MUST_SEE[party] <= seen
