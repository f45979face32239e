"""The plain single-tenant baseline of the API benchmark: Strata's task list, without tenancy."""
