from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shared_apps.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.core.internal import ratelimit
        from django.core.cache import caches
        from django.utils.connection import ConnectionProxy

        # allauth rate-limits through Django's default cache, whose keys carry the schema: a
        # limit of five failed sign-ins per account would become five per account per tenant
        # host. Login limits must hold across hosts, so they use the un-prefixed alias.
        ratelimit.cache = ConnectionProxy(caches, "global")
