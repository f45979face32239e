"""Routing benchmark: one JSON API served by plain Django, stock django-tenants and Strata."""
