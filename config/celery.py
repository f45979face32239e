"""The Celery app: configured from Django settings (CELERY_*), tasks from every app's tasks.py.

Run a worker with `celery -A config worker` and the scheduler with `celery -A config beat`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

app = Celery("strata", task_cls="tenants.background:StrataTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
