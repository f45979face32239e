from tenants.management.refused import RefusedCommand


class Command(RefusedCommand):
    help = "Refused in Strata (see the message)."
    instead = "schema names never change; rename the subdomain with manage.py tenant rename."
