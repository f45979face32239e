from tenants.management.refused import RefusedCommand


class Command(RefusedCommand):
    help = "Refused in Strata (see the message)."
    instead = (
        "new tenants come from the pool or the blueprint: manage.py create_tenant "
        "(or tenant import for a copy of one)."
    )
