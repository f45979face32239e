"""Fleet migrations benchmark: Strata's migrate_fleet against stock migrate_schemas."""
