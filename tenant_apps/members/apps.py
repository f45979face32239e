from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "tenant_apps.members"
    label = "members"
    verbose_name = "Members and invitations"

    def ready(self) -> None:
        from billing.catalog import Limit
        from billing.entitlements import register_usage
        from tenant_apps.members.services import seats_taken

        register_usage(Limit.SEATS, seats_taken)
