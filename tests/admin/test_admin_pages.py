"""Every model has an admin, and every admin page renders. A new model without an admin fails here."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.db.models import Model
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import HistoricalChanges

DOMAIN_APPS = ("accounts", "catalog", "factors", "inventory", "ledger", "evidence", "footprints", "exchange")
# Historical* models are shown through their model's history page, not as admins of their own.
DOMAIN_MODELS = [
    model
    for label in DOMAIN_APPS
    for model in apps.get_app_config(label).get_models()
    if not issubclass(model, HistoricalChanges)
]
REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


def _url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_domain_model_is_registered_in_the_admin():
    missing = [model._meta.label for model in DOMAIN_MODELS if model not in admin.site._registry]

    assert missing == []


def test_models_with_history_use_the_history_admin():
    without = [
        model._meta.label
        for model in DOMAIN_MODELS
        if hasattr(model._meta, "simple_history_manager_attribute")
        and not isinstance(admin.site._registry[model], SimpleHistoryAdmin)
    ]

    assert without == []


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_admin_pages_render_for_a_superuser(admin_client, every_exchange_row, model):
    model_admin = admin.site._registry[model]
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"tests/admin/conftest.py makes no {model._meta.label} row"

    changelist = admin_client.get(_url(model, "changelist"))
    add = admin_client.get(_url(model, "add"))
    change = admin_client.get(_url(model, "change", obj.pk))
    history = admin_client.get(_url(model, "history", obj.pk))

    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count >= 1
    assert add.status_code == (200 if model_admin.has_add_permission(add.wsgi_request) else 403)
    assert change.status_code == 200
    assert history.status_code == 200


def test_changelist_search_works_on_every_searchable_admin(admin_client, every_exchange_row):
    searchable = [model for model in REGISTERED if admin.site._registry[model].search_fields]

    statuses = {
        model._meta.label: admin_client.get(_url(model, "changelist"), {"q": "x"}).status_code for model in searchable
    }

    assert set(statuses.values()) == {200}


def test_admin_says_carbonfoot_in_chinese_and_in_english(admin_client):
    from django.utils import translation

    admin_client.cookies["django_language"] = "zh-hans"
    chinese = admin_client.get("/admin/").content.decode()
    admin_client.cookies["django_language"] = "en"
    english = admin_client.get("/admin/").content.decode()

    with translation.override("zh-hans"):
        header_zh = str(translation.gettext("carbonfoot administration"))
    assert header_zh != "carbonfoot administration" and header_zh in chinese
    assert "carbonfoot administration" in english
    assert "Django" not in chinese and "Django administration" not in english
