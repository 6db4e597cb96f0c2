from apps.catalog.models import Material, ProcessStage
from tests import factories


def test_catalog_holds_the_meters_32_materials_and_26_stages(db):
    assert Material.objects.count() == 32
    assert [m.category for m in Material.objects.all()].count("direct") == 25
    assert [m.category for m in Material.objects.all()].count("indirect") == 5
    assert [m.category for m in Material.objects.all()].count("consumable") == 2
    assert ProcessStage.objects.count() == 26
    assert ProcessStage.objects.filter(group="manufacturing").count() == 19
    assert ProcessStage.objects.filter(group="support").count() == 7


def test_factories_build_a_study(supplier, library):
    study = factories.make_study(supplier, library, stage_nos=(4, 5))
    assert study.stages.count() == 2
    assert study.organization == supplier


def test_transactional_test_sees_the_catalog(transactional_db):
    assert Material.objects.count() == 32


def test_catalog_is_back_after_a_transactional_test(db):
    assert ProcessStage.objects.count() == 26
