from tenants.management.refused import RefusedCommand


class Command(RefusedCommand):
    help = "Refused in Strata (see the message)."
    instead = "custom domains are added by workspace admins and verified by DNS (docs/tenants.md)."
