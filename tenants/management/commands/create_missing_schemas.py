from tenants.management.refused import RefusedCommand


class Command(RefusedCommand):
    help = "Refused in Strata (see the message)."
    instead = "run manage.py migrate_fleet; it reports tenants whose schema is missing."
