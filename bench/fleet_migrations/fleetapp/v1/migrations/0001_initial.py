# The same migration as fleetapp/migrations/0001_initial.py, without 0002 after it.
from importlib import import_module

Migration = import_module("bench.fleet_migrations.fleetapp.migrations.0001_initial").Migration
