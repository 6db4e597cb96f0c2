"""load_demo's users have a published password: with DEBUG off the command refuses and writes nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from apps.accounts.models import Organization


@pytest.mark.django_db
def test_load_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="refuses to run with DEBUG off: the demo users' password is published"):
        call_command("load_demo", days=1, no_compute=True)

    assert Organization.objects.count() == 0
    assert get_user_model().objects.count() == 0
