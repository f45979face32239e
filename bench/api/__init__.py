"""API benchmark: the tenant REST API's task list against a plain single-tenant baseline."""
