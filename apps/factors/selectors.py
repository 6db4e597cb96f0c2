"""Reads of the factor library: which emission factor values a material.

Precedence (method.md, "EFc,i"): the supplier's own factor for the material (primary data from
its upstream supplier, in a dataset the organization owns) comes first; otherwise the study's
library dataset's factor for the material; otherwise none (the engine reports a missing factor).
A factor names its material through ``EmissionFactor.material``.

Where the organization holds several own factors for one material, the newest dataset wins (a
supplier's latest data), then the lowest code, so the choice is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from apps.accounts.models import Organization
from apps.catalog.models import Material
from apps.factors.models import EmissionFactor, FactorDataset


def factors_for_materials(
    *, organization: Organization, material_ids: Iterable[int], dataset: FactorDataset
) -> dict[int, EmissionFactor]:
    """The factor each material resolves to (materials without one are absent), in one query.

    The study's own dataset counts as the library even when the organization owns it (a library
    version imported from a study document), so its factors never pose as supplier data.
    """
    ids = set(material_ids)
    if not ids:
        return {}
    candidates = (
        EmissionFactor.objects.filter(material_id__in=ids)
        .filter(Q(dataset=dataset) | Q(dataset__organization=organization))
        .select_related("dataset")
        .order_by("-dataset_id", "code")
    )
    own: dict[int, EmissionFactor] = {}
    library: dict[int, EmissionFactor] = {}
    for factor in candidates:
        bucket = library if factor.dataset_id == dataset.pk else own
        bucket.setdefault(factor.material_id, factor)  # type: ignore[arg-type]
    return {material_id: own.get(material_id) or library[material_id] for material_id in own.keys() | library.keys()}


def factor_for_material(
    *, organization: Organization, material: Material, dataset: FactorDataset
) -> EmissionFactor | None:
    return factors_for_materials(organization=organization, material_ids=[material.pk], dataset=dataset).get(
        material.pk
    )
