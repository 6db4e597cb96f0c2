"""The shared factor library: dataset files (fixtures/factors/*.json) into FactorDataset rows.

A file holds one dataset version in the format ``carbonfoot.factors/1`` (see docs/factors.md):

    {"format": "carbonfoot.factors/1",
     "dataset": {"name", "version", "publisher", "gwp_basis", "gwp_horizon_years", "is_illustrative", "description"},
     "factors": [{"code", "category", "name_zh", "name_en", "value", "unit", "low", "high", "region", "year",
                  "valid_from", "valid_to", "source", "notes", "material_no"}, ...]}

Numbers are decimal strings, dates ISO dates, ``material_no`` links a catalogue material. A
(name, version) is immutable once stored: loading the same file again changes nothing, and a file
that differs from the stored version is refused whole, because results already computed cite it.
Publish a new version instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from apps.accounts.models import Organization
from apps.catalog.models import Material
from apps.engine import units
from apps.factors.enums import FactorCategory, GwpBasis
from apps.factors.models import FACTOR_DIGITS, EmissionFactor, FactorDataset

FORMAT = "carbonfoot.factors/1"
FACTORS_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "factors"
_INTEGER_DIGITS = FACTOR_DIGITS["max_digits"] - FACTOR_DIGITS["decimal_places"]


def unit_problem(unit: str) -> str | None:
    """Why the engine could not value a factor in `unit` (None if it can): kg CO2e per activity unit."""
    parsed = units.parse(unit)
    if parsed is None:
        return f"{unit!r} is not a unit the engine can read"
    if parsed.dimensionality.get("[co2e]") != 1:
        return f"{unit!r} is not an amount of CO2e per activity unit"
    return None


class FactorFileError(ValueError):
    """A dataset file that cannot be loaded; ``problems`` lists every one found, with its place."""

    def __init__(self, origin: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{origin}: " + "; ".join(problems))


class DatasetVersionConflict(Exception):
    """The stored dataset version differs from the file: versions are immutable."""


@dataclass(frozen=True)
class FactorSpec:
    code: str
    category: str
    name_zh: str
    name_en: str
    value: Decimal
    unit: str
    low: Decimal | None
    high: Decimal | None
    region: str
    year: int | None
    valid_from: date | None
    valid_to: date | None
    source: str
    notes: str
    material_no: int | None


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    version: str
    publisher: str
    gwp_basis: str
    gwp_horizon_years: int
    is_illustrative: bool
    description: str
    factors: tuple[FactorSpec, ...]


@dataclass(frozen=True)
class LoadOutcome:
    dataset: FactorDataset
    created: bool


def _decimal(raw: Any, where: str, problems: list[str], *, optional: bool = False) -> Decimal | None:
    if raw is None and optional:
        return None
    if not isinstance(raw, str):
        problems.append(f"{where}: expected a decimal string, got {raw!r}")
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        problems.append(f"{where}: {raw!r} is not a decimal number")
        return None
    if not value.is_finite() or value.is_signed():
        problems.append(f"{where}: {raw!r} must be a finite number >= 0")
        return None
    _sign, digits, exponent = value.normalize().as_tuple()
    places = FACTOR_DIGITS["decimal_places"]
    if -int(exponent) > places or len(digits) + int(exponent) > _INTEGER_DIGITS:
        problems.append(f"{where}: {raw!r} needs more than {_INTEGER_DIGITS} digits before or {places} after the point")
        return None
    return value


def _date(raw: Any, where: str, problems: list[str]) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError):
        problems.append(f"{where}: {raw!r} is not an ISO date (YYYY-MM-DD)")
        return None


def _text(row: dict[str, Any], key: str, where: str, problems: list[str], *, model: Any, required: bool = False) -> str:
    raw = row.get(key) or ""
    limit = model._meta.get_field(key).max_length
    if not isinstance(raw, str):
        problems.append(f"{where}.{key}: expected text, got {raw!r}")
        return ""
    if required and not raw.strip():
        problems.append(f"{where}.{key}: required")
    if limit and len(raw) > limit:
        problems.append(f"{where}.{key}: longer than {limit} characters")
    return raw


_FACTOR_TEXTS = {
    "code": True,
    "category": True,
    "name_zh": False,
    "name_en": True,
    "unit": True,
    "region": False,
    "source": True,
    "notes": False,
}  # field: required


def _factor_parse(row: Any, where: str, problems: list[str]) -> FactorSpec | None:
    if not isinstance(row, dict):
        problems.append(f"{where}: expected an object")
        return None
    before = len(problems)
    texts = {
        key: _text(row, key, where, problems, model=EmissionFactor, required=required)
        for key, required in _FACTOR_TEXTS.items()
    }
    if texts["category"] and texts["category"] not in FactorCategory.values:
        problems.append(f"{where}.category: {texts['category']!r} is not one of {', '.join(FactorCategory.values)}")
    if texts["unit"] and (problem := unit_problem(texts["unit"])):
        problems.append(f"{where}.unit: {problem}")
    value = _decimal(row.get("value"), f"{where}.value", problems)
    low = _decimal(row.get("low"), f"{where}.low", problems, optional=True)
    high = _decimal(row.get("high"), f"{where}.high", problems, optional=True)
    if value is not None and ((low is not None and low > value) or (high is not None and high < value)):
        problems.append(f"{where}: value {value} lies outside low {low} .. high {high}")
    valid_from = _date(row.get("valid_from"), f"{where}.valid_from", problems)
    valid_to = _date(row.get("valid_to"), f"{where}.valid_to", problems)
    if valid_from and valid_to and valid_to < valid_from:
        problems.append(f"{where}: valid_to {valid_to} is before valid_from {valid_from}")
    year, material_no = row.get("year"), row.get("material_no")
    for key, number in (("year", year), ("material_no", material_no)):
        if number is not None and (not isinstance(number, int) or isinstance(number, bool) or number <= 0):
            problems.append(f"{where}.{key}: expected a positive integer or null, got {number!r}")
    if len(problems) > before or value is None:
        return None
    return FactorSpec(
        **texts,
        value=value,
        low=low,
        high=high,
        year=year,
        valid_from=valid_from,
        valid_to=valid_to,
        material_no=material_no,
    )


def dataset_parse(document: Any, *, origin: str) -> DatasetSpec:
    """Validate a whole dataset document; raise FactorFileError listing every problem."""
    problems: list[str] = []
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise FactorFileError(origin, [f"not a {FORMAT} document (missing or wrong 'format')"])
    head = document.get("dataset")
    rows = document.get("factors")
    if not isinstance(head, dict) or not isinstance(rows, list):
        raise FactorFileError(origin, ["expected a 'dataset' object and a 'factors' list"])
    head_texts = {
        key: _text(head, key, "dataset", problems, model=FactorDataset, required=key != "description")
        for key in ("name", "version", "publisher", "gwp_basis", "description")
    }
    gwp_basis = head_texts["gwp_basis"]
    if gwp_basis and gwp_basis not in GwpBasis.values:
        problems.append(f"dataset.gwp_basis: {gwp_basis!r} is not one of {', '.join(GwpBasis.values)}")
    horizon = head.get("gwp_horizon_years", 100)
    illustrative = head.get("is_illustrative")
    if not isinstance(horizon, int) or isinstance(horizon, bool) or horizon <= 0:
        problems.append(f"dataset.gwp_horizon_years: expected a positive integer, got {horizon!r}")
    if not isinstance(illustrative, bool):
        problems.append("dataset.is_illustrative: expected true or false")
    factors = [_factor_parse(row, f"factors[{i}]", problems) for i, row in enumerate(rows)]
    codes = [f.code for f in factors if f]
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    problems += [f"factors: code {code!r} appears more than once" for code in repeated]
    if problems:
        raise FactorFileError(origin, problems)
    return DatasetSpec(
        **head_texts,
        gwp_horizon_years=horizon,
        is_illustrative=bool(illustrative),
        factors=tuple(f for f in factors if f),
    )


def dataset_file_parse(path: Path) -> DatasetSpec:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FactorFileError(str(path), [f"cannot read JSON: {exc}"]) from exc
    return dataset_parse(document, origin=str(path))


def _stored_differences(dataset: FactorDataset, spec: DatasetSpec, materials: dict[int, Material]) -> list[str]:
    differences = [
        f"dataset.{key}: stored {getattr(dataset, key)!r}, file {getattr(spec, key)!r}"
        for key in ("publisher", "gwp_basis", "gwp_horizon_years", "is_illustrative", "description")
        if getattr(dataset, key) != getattr(spec, key)
    ]
    stored = {factor.code: factor for factor in dataset.factors.all()}
    for code in sorted(stored.keys() - {f.code for f in spec.factors}):
        differences.append(f"{code}: stored but not in the file")
    for factor in spec.factors:
        row = stored.get(factor.code)
        if row is None:
            differences.append(f"{factor.code}: in the file but not stored")
            continue
        for spec_field in fields(FactorSpec):
            key = spec_field.name
            if key == "material_no":
                want = materials[factor.material_no].pk if factor.material_no else None
                if row.material_id != want:
                    differences.append(f"{factor.code}.material: stored {row.material_id}, file {want}")
            elif getattr(row, key) != getattr(factor, key):
                differences.append(f"{factor.code}.{key}: stored {getattr(row, key)!r}, file {getattr(factor, key)!r}")
    return differences


def dataset_store(spec: DatasetSpec, *, organization: Organization | None = None) -> LoadOutcome:
    """Create a dataset version, or confirm the stored one is identical; all or nothing."""
    materials = Material.objects.in_bulk([f.material_no for f in spec.factors if f.material_no], field_name="no")
    missing = sorted({f.material_no for f in spec.factors if f.material_no and f.material_no not in materials})
    if missing:
        origin = f"{spec.name} {spec.version}"
        raise FactorFileError(origin, [f"material_no {no} is not in the catalogue" for no in missing])
    with transaction.atomic():
        existing = (
            FactorDataset.objects.select_for_update()
            .filter(organization=organization, name=spec.name, version=spec.version)
            .first()
        )
        if existing is not None:
            differences = _stored_differences(existing, spec, materials)
            if differences:
                more = len(differences) - 10
                shown = "; ".join(differences[:10]) + (f"; and {more} more" if more > 0 else "")
                raise DatasetVersionConflict(
                    f"{spec.name} {spec.version} is already stored with different content ({shown}). "
                    "Dataset versions are immutable: publish the change under a new version."
                )
            return LoadOutcome(dataset=existing, created=False)
        dataset = FactorDataset.objects.create(
            organization=organization,
            name=spec.name,
            version=spec.version,
            publisher=spec.publisher,
            gwp_basis=spec.gwp_basis,
            gwp_horizon_years=spec.gwp_horizon_years,
            is_illustrative=spec.is_illustrative,
            description=spec.description,
        )
        rows = [
            EmissionFactor(
                dataset=dataset,
                organization=organization,
                material=materials[f.material_no] if f.material_no else None,
                **{k.name: getattr(f, k.name) for k in fields(FactorSpec) if k.name != "material_no"},
            )
            for f in spec.factors
        ]
        bulk_create_with_history(rows, EmissionFactor, batch_size=500)
    return LoadOutcome(dataset=dataset, created=True)


def library_load(path: Path | str) -> FactorDataset:
    """Load one shared-library dataset file (idempotent per name and version)."""
    return dataset_store(dataset_file_parse(Path(path))).dataset


def library_load_all(directory: Path = FACTORS_DIR) -> list[tuple[Path, LoadOutcome]]:
    """Load every dataset file of a directory, in name order; stop at the first refused file."""
    return [(path, dataset_store(dataset_file_parse(path))) for path in sorted(Path(directory).glob("*.json"))]
