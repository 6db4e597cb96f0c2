"""A bad configuration stops every entry point with its one-line message (no traceback), and `check` fails on
what Django's own checks let through: an unreachable database, and DEBUG off without ALLOWED_HOSTS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
SECRET_MESSAGE = (
    "carbonfoot cannot start: Environment variable SECRET_KEY is required when DEBUG is off "
    "(set SECRET_KEY, or DEBUG=1 for local development)."
)


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS")
        and not key.startswith("PYTEST")
    }
    environment.update({"CARBONFOOT_VAR_DIR": str(tmp_path), **env})
    return subprocess.run(args, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False)


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_missing_secret_key_is_one_line_for_a_management_command(tmp_path):
    result = _run([PYTHON, "manage.py", "check"], tmp_path, DEBUG="0")
    assert result.returncode == 1
    assert _one_line(result) == SECRET_MESSAGE
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "DATABASE_URL",
            "mysql://db/carbonfoot",
            "carbonfoot cannot start: Environment variable DATABASE_URL names engine 'django.db.backends.mysql'; "
            "carbonfoot supports sqlite:// and postgres://.",
        ),
        (
            "CELERY_BROKER_URL",
            "ftp://broker",
            "carbonfoot cannot start: Environment variable CELERY_BROKER_URL has scheme 'ftp'; "
            "use filesystem://, redis://, rediss://, amqp:// or pyamqp://.",
        ),
        (
            "DEBUG",
            "maybe",
            "carbonfoot cannot start: Environment variable DEBUG='maybe' is not a boolean; "
            "use one of 1/0, true/false, yes/no, on/off.",
        ),
    ],
)
def test_a_bad_variable_is_one_line_naming_it(tmp_path, variable, value, message):
    result = _run([PYTHON, "manage.py", "migrate", "--check"], tmp_path, **{"DEBUG": "1", variable: value})
    assert result.returncode == 1
    assert _one_line(result) == message


def test_the_wsgi_and_asgi_applications_and_the_celery_app_stop_with_the_same_line(tmp_path):
    for module in ("carbonfoot.wsgi", "carbonfoot.asgi", "carbonfoot.celery"):
        result = _run([PYTHON, "-c", f"import {module}"], tmp_path, DEBUG="0")
        assert result.returncode == 1, module
        assert _one_line(result) == SECRET_MESSAGE


def test_a_celery_worker_with_a_bad_broker_url_stops_with_one_line(tmp_path):
    celery = str(Path(PYTHON).with_name("celery"))
    result = _run([celery, "-A", "carbonfoot", "inspect", "ping"], tmp_path, DEBUG="1", CELERY_BROKER_URL="ftp://x")
    assert result.returncode == 1
    assert "CELERY_BROKER_URL has scheme 'ftp'" in _one_line(result)


def test_gunicorn_stops_instead_of_restarting_workers_forever(tmp_path):
    gunicorn = Path(PYTHON).with_name("gunicorn")
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed")
    result = _run([str(gunicorn), "--bind", "127.0.0.1:0", "carbonfoot.wsgi"], tmp_path, DEBUG="0")
    assert result.returncode == 4  # gunicorn: "App failed to load."
    assert SECRET_MESSAGE in result.stderr.splitlines()
    assert "Traceback" not in result.stderr


# --- check ----------------------------------------------------------------------------------------------------------


def test_check_passes_on_a_reachable_database_in_development(tmp_path):
    result = _run([PYTHON, "manage.py", "check"], tmp_path, DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_fails_on_an_unreachable_database(tmp_path):
    unreachable = "postgres://postgres@127.0.0.1:1/carbonfoot"  # nothing listens on port 1
    result = _run([PYTHON, "manage.py", "check"], tmp_path, DEBUG="1", DATABASE_URL=unreachable)
    assert result.returncode == 1
    assert "(carbonfoot.E001) The database 'default' cannot be reached: connection to server at" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_fails_with_debug_off_and_no_allowed_hosts(tmp_path):
    result = _run([PYTHON, "manage.py", "check"], tmp_path, DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="")
    assert result.returncode == 1
    assert "(carbonfoot.E002) DEBUG is off and ALLOWED_HOSTS is empty" in result.stderr

    hosts = _run(
        [PYTHON, "manage.py", "check"], tmp_path, DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="carbon.example.com"
    )
    assert hosts.returncode == 0, hosts.stderr


def test_the_checks_as_functions(settings):
    from apps.accounts.checks import allowed_hosts_check

    settings.DEBUG, settings.ALLOWED_HOSTS = False, []
    assert [error.id for error in allowed_hosts_check()] == ["carbonfoot.E002"]
    settings.ALLOWED_HOSTS = ["carbon.example.com"]
    assert allowed_hosts_check() == []
