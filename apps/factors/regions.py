"""Where electricity can be valued: the grid regions the shared library knows, and the grid factors
and series an organization may choose for a study.

A site names its grid region (``Site.grid_region``); the region must be one for which the shared
library (datasets without an organization) holds an electricity factor or a factor series, so a
plant is never placed on a grid nobody can value.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from apps.accounts.models import Organization
from apps.factors.enums import FactorCategory
from apps.factors.models import ElectricityFactorSeries, EmissionFactor


def _visible(organization: Organization) -> Q:
    """The shared library or the organization's own datasets (never another supplier's)."""
    return (Q(organization__isnull=True) & Q(dataset__organization__isnull=True)) | (
        Q(organization=organization) & Q(dataset__organization=organization)
    )


def electricity_factors_visible_to(*, organization: Organization) -> QuerySet[EmissionFactor]:
    """Static grid factors (kg CO2e per kWh) a study of ``organization`` may use."""
    return (
        EmissionFactor.objects.filter(_visible(organization), category=FactorCategory.ELECTRICITY)
        .select_related("dataset")
        .order_by("dataset__name", "dataset__version", "region", "-year", "code")
    )


def electricity_series_visible_to(*, organization: Organization) -> QuerySet[ElectricityFactorSeries]:
    """Time-varying grid factor series a study of ``organization`` may use."""
    return (
        ElectricityFactorSeries.objects.filter(_visible(organization))
        .select_related("dataset")
        .order_by("dataset__name", "dataset__version", "region", "code")
    )


def grid_region_choices() -> list[str]:
    """The distinct non-empty regions of the library's electricity factors and series, sorted (one query)."""
    factors = (
        EmissionFactor.objects.filter(
            organization__isnull=True, dataset__organization__isnull=True, category=FactorCategory.ELECTRICITY
        )
        .exclude(region="")
        .order_by()
        .values_list("region", flat=True)
    )
    series = (
        ElectricityFactorSeries.objects.filter(organization__isnull=True, dataset__organization__isnull=True)
        .exclude(region="")
        .order_by()
        .values_list("region", flat=True)
    )
    regions = {region.strip() for region in factors.union(series)}
    return sorted(region for region in regions if region)
