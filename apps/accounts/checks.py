"""System checks of the deployment that `manage.py check` (and every command that runs the checks) makes.

- ``carbonfoot.E001``: the database cannot be reached. Django's own checks never connect, so a wrong host or
  password passed `check` and failed at the first request.
- ``carbonfoot.E002``: DEBUG is off and ALLOWED_HOSTS is empty. Django then answers every request with 400 (its
  own warning, security.W020, only shows with --deploy).

Messages for operators: English, like Django's own.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.db import DatabaseError, connections

TAG = "carbonfoot"


@register(TAG)
def database_reachable_check(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for alias in connections:
        connection = connections[alias]
        try:
            connection.ensure_connection()
        except DatabaseError as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            errors.append(
                Error(
                    f"The database {alias!r} cannot be reached: {first_line}",
                    hint="Check DATABASE_URL (host, port, name, user, password) and that the server is running.",
                    id="carbonfoot.E001",
                )
            )
    return errors


@register(TAG)
def allowed_hosts_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG or settings.ALLOWED_HOSTS:
        return []
    return [
        Error(
            "DEBUG is off and ALLOWED_HOSTS is empty: every request would be refused (400).",
            hint="Set ALLOWED_HOSTS to the site's host names, comma-separated (e.g. ALLOWED_HOSTS=carbon.example.com).",
            id="carbonfoot.E002",
        )
    ]
