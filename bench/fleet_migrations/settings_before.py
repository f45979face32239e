"""settings_after, but fleetapp's migrations stop at 0001: tenants are created in this state."""

from __future__ import annotations

from bench.fleet_migrations.settings_after import *  # noqa: F403 - the same settings

MIGRATION_MODULES = {"fleetapp": "bench.fleet_migrations.fleetapp.v1.migrations"}
