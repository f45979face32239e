"""Strata's apps plus a synthetic tenant app (bench/provisioning/synthapp) whose 111 migrations
bring the migrations a tenant schema records to about four times Strata's own."""

from __future__ import annotations

from bench.provisioning.settings_1x import *  # noqa: F403 - the same settings, one app more
from config.settings.base import SHARED_APPS, TENANT_APPS

TENANT_APPS = [*TENANT_APPS, "bench.provisioning.synthapp"]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]
