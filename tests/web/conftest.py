from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.test import Client

from apps.accounts.models import Organization
from tests import factories


@pytest.fixture(autouse=True)
def _english(client: Client) -> None:
    """Pages start in Chinese (LANGUAGE_CODE); these tests read the English labels."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def member(supplier: Organization) -> AbstractUser:
    return factories.make_member(supplier)


@pytest.fixture
def member_client(client: Client, member: AbstractUser) -> Client:
    client.force_login(member)
    return client


@pytest.fixture
def other_library(other_supplier: Organization) -> factories.Library:
    return factories.make_library(organization=other_supplier)
