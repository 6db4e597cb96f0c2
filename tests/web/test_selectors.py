import pytest
from django.http import Http404

from apps.web.selectors import study_for_user, study_status
from tests import factories
from tests.web.builders import make_computed_study


def test_study_for_user_returns_own_study_with_latest_result(supplier, library):
    user = factories.make_member(supplier)
    study = factories.make_study(supplier, library)
    result = make_computed_study(study)

    found = study_for_user(user=user, study_id=study.pk)

    assert found == study
    assert study_status(study=found).result == result


def test_study_for_user_refuses_another_organizations_study(supplier, library, other_supplier):
    user = factories.make_member(supplier)
    foreign = factories.make_study(other_supplier, factories.make_library(organization=other_supplier))
    make_computed_study(foreign)

    with pytest.raises(Http404):
        study_for_user(user=user, study_id=foreign.pk)


def test_study_for_user_refuses_a_user_without_organization(supplier, library, django_user_model):
    study = factories.make_study(supplier, library)
    loner = django_user_model.objects.create_user(username="loner", password=factories.PASSWORD)

    with pytest.raises(Http404):
        study_for_user(user=loner, study_id=study.pk)
