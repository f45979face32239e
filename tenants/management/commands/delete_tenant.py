from tenants.management.refused import RefusedCommand


class Command(RefusedCommand):
    help = "Refused in Strata (see the message)."
    instead = "use manage.py tenant archive, then manage.py tenant purge --yes."
