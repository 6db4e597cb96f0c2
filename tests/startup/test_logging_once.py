"""Every line Django logs is printed once (`make run` printed the reloader's line and each 404 twice), and the
development server's request lines keep their time stamp."""

from __future__ import annotations

import re

from tests.startup.test_startup_errors import PYTHON, _run

SCRIPT = """
import logging, django
django.setup()
logging.getLogger("django.request").warning("Not Found: %s", "/missing/")
logging.getLogger("django.utils.autoreload").info("Watching for file changes with StatReloader")
logging.getLogger("django.server").info('"GET /missing/ HTTP/1.1" 404 179')
logging.getLogger("apps.footprints").info("computation 7 failed")
"""


def test_each_line_is_logged_once(tmp_path):
    result = _run([PYTHON, "-c", SCRIPT], tmp_path, DEBUG="1", DJANGO_SETTINGS_MODULE="carbonfoot.settings")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[:2] == ["Not Found: /missing/", "Watching for file changes with StatReloader"]
    assert re.fullmatch(r'\[[^]]+\] "GET /missing/ HTTP/1.1" 404 179', lines[2])
    assert lines[3:] == ["computation 7 failed"]


def test_django_errors_still_reach_the_log_with_debug_off(tmp_path):
    script = (
        'import logging, django\ndjango.setup()\nlogging.getLogger("django.request").error("Internal Server Error: /")'
    )
    result = _run([PYTHON, "-c", script], tmp_path, DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.com")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines() == ["Internal Server Error: /"]
