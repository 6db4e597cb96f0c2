"""Loading the settings at start-up, so a bad configuration stops with its one-line message.

carbonfoot/settings.py checks every environment variable it reads and raises ``ImproperlyConfigured`` naming the
variable (a missing SECRET_KEY, a bad DATABASE_URL or CELERY_BROKER_URL, ...). Raised inside Django's or Celery's
start-up, that message came at the end of a 40- to 65-line traceback. The entry points (manage.py, wsgi.py,
asgi.py, celery.py) call ``settings_or_exit`` first: the message alone on stderr, and a non-zero exit.
"""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured

EXIT_CODE = 1
# Under gunicorn, a worker that exits with 1 is replaced by a new one that fails the same way, forever; 4 is its
# "app failed to load", on which the master stops.
GUNICORN_EXIT_CODE = 4


def settings_or_exit() -> None:
    """Load the Django settings now; on a configuration error print its message and exit."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbonfoot.settings")
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 (reading a setting loads carbonfoot/settings.py)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"carbonfoot cannot start: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(GUNICORN_EXIT_CODE if "gunicorn" in sys.modules else EXIT_CODE) from None
