"""fleetapp as it was before its migration 0002: 0001 only."""
