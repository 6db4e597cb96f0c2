"""Reads of products and studies, always scoped by organization."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import Organization
from apps.inventory.models import Study


class StudyNotFoundError(LookupError):
    pass


def study_list(*, organization: Organization) -> QuerySet[Study]:
    return Study.objects.for_organization(organization).select_related("product", "site")


def study_get(*, organization: Organization, study_id: int) -> Study:
    """The one access helper for a tenant's study; another organization's study does not exist."""
    try:
        return study_list(organization=organization).get(pk=study_id)
    except Study.DoesNotExist as exc:
        raise StudyNotFoundError(study_id) from exc


def study_by_reference(reference: str) -> Study:
    """For operators' commands: a study id, or ORG_SLUG/STUDY_NAME."""
    queryset = Study.objects.select_related("organization", "product", "site")
    try:
        if reference.isdigit():
            return queryset.get(pk=int(reference))
        slug, _, name = reference.partition("/")
        return queryset.get(organization__slug=slug, name=name)
    except Study.DoesNotExist as exc:
        raise StudyNotFoundError(reference) from exc
