from tenants.management.refused import RefusedCommand


class Command(RefusedCommand):
    help = "Refused in Strata (see the message)."
    instead = (
        "custom domains are removed by workspace admins; subdomains change with "
        "manage.py tenant rename."
    )
