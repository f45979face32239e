"""The Celery app: configured from Django settings (CELERY_*), tasks from every app's tasks.py.

Run a worker with `celery -A config worker` and the scheduler with `celery -A config beat`.
"""

import logging
import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

app = Celery("strata", task_cls="tenants.background:StrataTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_transaction_pooling(**kwargs: object) -> None:
    """A worker does not start behind a pooler that hands sessions to other clients between
    transactions: its tasks would run in other tenants' schemas (tenants.connections)."""
    from tenants.connections import exit_if_pooled_per_transaction

    exit_if_pooled_per_transaction(logging.getLogger("celery.worker"))
