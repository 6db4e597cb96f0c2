from __future__ import annotations

import pytest
from django.utils import translation

from tests.evidence.builders import use_tmp_media


@pytest.fixture(autouse=True)
def _english():
    """Service messages are read in English here (a Chinese test says so itself)."""
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    return use_tmp_media(settings, tmp_path)
