"""Configuration comes from the environment; a bad value stops start-up and names the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _start(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "carbonfoot.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "SECRET_KEY"),  # DEBUG is off by default: no development key
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "1", "DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
        ({"DEBUG": "1", "DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DEBUG": "1", "CELERY_BROKER_URL": "sqs://queue"}, "CELERY_BROKER_URL"),
        ({"DEBUG": "1", "CELERY_TASK_TIME_LIMIT": "ten"}, "CELERY_TASK_TIME_LIMIT"),
    ],
)
def test_bad_configuration_stops_start_up_naming_the_variable(env, named):
    started = _start(**env)

    # One line naming the variable, no traceback (carbonfoot.startup.settings_or_exit).
    assert started.returncode != 0
    assert started.stderr.startswith("carbonfoot cannot start: ")
    assert "Traceback" not in started.stderr
    assert named in started.stderr.splitlines()[-1]


def test_production_configuration_starts_with_a_secret_key():
    started = _start(SECRET_KEY="a-real-secret-from-the-vault", ALLOWED_HOSTS="carbon.example.com")

    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "False"
