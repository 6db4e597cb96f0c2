import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from apps.accounts.access import Action
from apps.accounts.enums import Role
from apps.accounts.models import Membership
from apps.inventory.access import study_access
from apps.web.selectors import study_status
from tests import factories
from tests.web.builders import make_computed_study


def _membership(user) -> Membership:
    return Membership.objects.select_related("organization").get(user=user)


def test_study_access_returns_own_study_with_latest_result(supplier, library):
    study = factories.make_study(supplier, library)
    result = make_computed_study(study)
    user = factories.make_member(supplier)

    access = study_access(membership=_membership(user), study_uuid=study.uuid)

    assert access.obj == study
    assert access.can(Action.EDIT)
    assert study_status(study=access.obj).result == result


def test_study_access_refuses_another_organizations_study(supplier, library, other_supplier):
    foreign = factories.make_study(other_supplier, library)
    make_computed_study(foreign)
    user = factories.make_member(supplier)

    with pytest.raises(Http404):
        study_access(membership=_membership(user), study_uuid=foreign.uuid)


def test_study_access_gives_a_viewer_read_only(supplier, library):
    study = factories.make_study(supplier, library)
    viewer = factories.make_member(supplier, role=Role.VIEWER)

    access = study_access(membership=_membership(viewer), study_uuid=study.uuid)

    assert access.actions == frozenset({Action.READ})
    with pytest.raises(PermissionDenied):
        access.require(Action.EDIT)
