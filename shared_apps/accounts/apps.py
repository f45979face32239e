from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shared_apps.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.core.internal import ratelimit
        from allauth.mfa.totp.internal import auth as totp_auth
        from django.core.cache import caches
        from django.utils.connection import ConnectionProxy

        # allauth keeps two per-person records in Django's default cache, whose keys carry the
        # schema; both must hold across every host, so they use the un-prefixed alias:
        # - rate limits: five failed sign-ins per account would become five per tenant host;
        # - spent TOTP codes: a code used on acme.example.com could be replayed on globex's.
        global_cache = ConnectionProxy(caches, "global")
        ratelimit.cache = global_cache
        totp_auth.cache = global_cache
