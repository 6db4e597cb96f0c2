"""The Celery application. Broker and limits come from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbonfoot.settings")

app = Celery("carbonfoot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
