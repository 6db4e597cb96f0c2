"""What every write service shares: tenant checks, validation before saving, and stale-edit refusal.

Services are plain functions with keyword-only, annotated arguments named ``<entity>_<action>``
(``study_create``, ``bom_line_update``). Each one:

1. checks that every row it links belongs to the same organization, or to the shared library
   (``require_same_organization``): a study never points at another supplier's site or dataset;
2. validates with ``full_clean`` before it writes (``validated_save``), so a bad value is a
   ``ValidationError`` naming its field in the user's language, and nothing is written;
3. when it changes an existing row that a person edited on a page, compares the row version the
   page was rendered with (``require_row_version``): a second save over someone else's change is
   refused with the current values, never a silent overwrite.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from apps.accounts.models import Organization


def require_same_organization(organization: Organization, **related: models.Model | None) -> None:
    """Each related row must belong to ``organization`` or to nobody (the shared library).

    Raises a ValidationError on the field that names a foreign row; the message does not say whose
    it is, exactly as if it did not exist.
    """
    errors: dict[str, list[str]] = {}
    for field, row in related.items():
        if row is None:
            continue
        owner_id = getattr(row, "organization_id", None)
        if owner_id is not None and owner_id != organization.pk:
            errors[field] = [_("Select a valid choice. That choice is not one of the available choices.")]
    if errors:
        raise ValidationError(errors)


def history_user_set(row: models.Model, user: Any) -> None:
    """Who made the change, for the timeline: django-simple-history takes the request's user, and a
    service called from a command, an import or a task has no request, so it is told."""
    if user is not None and getattr(user, "is_authenticated", False):
        setattr(row, "_history_user", user)  # noqa: B010 (simple_history reads this attribute)


def related_rows(instance: models.Model) -> dict[str, models.Model | None]:
    """The rows a model instance links to through its foreign keys (loaded ones only)."""
    related: dict[str, models.Model | None] = {}
    for field in instance._meta.concrete_fields:
        linked = field.is_relation and field.many_to_one and field.name != "organization"
        if linked and getattr(instance, field.attname) is not None:
            related[field.name] = getattr(instance, field.name)
    return related


def tenant_row_save(*, instance: models.Model) -> None:
    """The generic write for a tenant row edited field by field (the platform admin): every linked
    row in the same organization or the shared library, full_clean, save."""
    organization = getattr(instance, "organization", None)
    if organization is not None:
        require_same_organization(organization, **related_rows(instance))
    validated_save(instance)


def validated_save(instance: models.Model, *, exclude: list[str] | None = None, **save_kwargs: Any) -> None:
    """full_clean (fields, choices, check and unique constraints), then save."""
    instance.full_clean(exclude=exclude)
    instance.save(**save_kwargs)


def row_version(instance: models.Model) -> str:
    """The version token a page sends back with an edit: the row's last update, to the microsecond."""
    updated_at = getattr(instance, "updated_at", None)
    return updated_at.isoformat() if updated_at is not None else ""


class StaleEditError(ValidationError):
    """Someone saved this row after the page was loaded; ``current`` holds what is stored now."""

    def __init__(self, *, current: dict[str, Any]) -> None:
        super().__init__(
            _(
                "Someone else changed this line after you opened the page. Your change was not saved; "
                "the current values are shown. Check them and save again."
            ),
            code="stale",
        )
        self.current = current


def require_row_version(instance: models.Model, expected: str | None, *, fields: list[str]) -> None:
    """Refuse the edit when the stored row is newer than the version the page was rendered with.

    ``instance`` must have been read with ``select_for_update()`` inside the service's
    transaction, so two saves racing on PostgreSQL are serialized and the second one sees the first.
    ``expected=None`` skips the check (services called by importers and commands, not pages).
    """
    if expected is None:
        return
    if row_version(instance) != expected:
        raise StaleEditError(current={field: getattr(instance, field) for field in fields})
