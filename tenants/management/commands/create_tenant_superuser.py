from tenants.management.refused import RefusedCommand


class Command(RefusedCommand):
    help = "Refused in Strata (see the message)."
    instead = "users are global: manage.py createsuperuser, then a membership."
