"""The Celery application. Broker and limits come from Django settings (CELERY_* names)."""

import os

from celery import Celery
from celery.signals import worker_init

from carbonfoot.startup import settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbonfoot.settings")
settings_or_exit()  # a bad configuration (CELERY_BROKER_URL, ...): its message alone, not a traceback

app = Celery("carbonfoot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _warm_up_units(**_: object) -> None:
    # Building pint's registry costs ~0.4 s: pay it once in the main process, before any pool child
    # forks, rather than in the first task.
    from apps.engine.units import registry

    registry()
