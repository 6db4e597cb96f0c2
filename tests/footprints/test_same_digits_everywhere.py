"""The same inputs give the same digest and the same digits on SQLite and on PostgreSQL.

CI runs this file on both databases against the constants below, so a difference in how either
stores or returns a decimal, a timestamp or a reading would change a digit and fail here.
"""

from apps.footprints.services import footprint_compute_now
from apps.inventory.models import Product, Site, Study
from apps.ledger.models import MeteringPoint
from tests import factories
from tests.footprints.builders import build_small_study

GOLDEN_DIGEST = "b2f78c2a4ba95d91f5a894966b8444cbe8244cb46c1baa41679c9c67de022f2c"
GOLDEN_TOTALS = {
    "e": "153.94402285714285714285714285714285714285714285714186",
    "em": "3.08688",
    "em_materials": "3.0564",
    "em_transport": "0.03048",
    "ep": "150.85714285714285714285714285714285714285714285714186",
    "eb": "44.228571428571428571428571428571428571428571428571",
    "edl": "106.371428571428571428571428571428571428571428571428",
    "ew": "0.25714285714285714285714285714285714285714285714286",
}
GOLDEN_EMISSIONS = [
    ("material/20", "0.8976"),
    ("material/25", "2.1"),
    ("material/28", "0.0588"),
    ("material/25/transport/1", "0.03048"),
    ("stage/4", "88.642857142857142857142857142857142857142857142857"),
    ("stage/26", "17.728571428571428571428571428571428571428571428571"),
    ("fuel/1", "44.228571428571428571428571428571428571428571428571"),
    ("waste/1", "0.25714285714285714285714285714285714285714285714286"),
]


def _fixed_study(organization):
    study = build_small_study(organization, factories.make_library(version="golden"), name="golden study")
    Product.objects.filter(pk=study.product_id).update(model_code="DDZY-GOLDEN")
    Site.objects.filter(pk=study.site_id).update(code="golden-plant", name="Golden plant")
    for point in MeteringPoint.objects.filter(site_id=study.site_id):
        MeteringPoint.objects.filter(pk=point.pk).update(code=point.code.split("-")[0])
    study.refresh_from_db()
    return study


def test_same_inputs_give_the_same_digest_and_digits_on_every_database(supplier):
    study = _fixed_study(supplier)
    Study.objects.filter(pk=study.pk).update(units_produced=7)  # per-unit values run to 50 digits
    study.refresh_from_db()

    snapshot, _ = footprint_compute_now(study=study)

    emissions = [(line["key"], line["emission"]) for line in snapshot.breakdown]
    assert snapshot.digest == GOLDEN_DIGEST
    assert snapshot.totals == GOLDEN_TOTALS
    assert emissions == GOLDEN_EMISSIONS
