"""Credentials other than a member's session (API keys), as tenancy code sees them.

Kept apart from tenants.access so that DRF authentication classes can import it: access imports
DRF's views, and DRF imports the authentication classes while loading its views.
"""

from __future__ import annotations

import abc

from tenants.roles import Permission


class TenantCredential(abc.ABC):
    """What an API authentication other than a member's session (an API key) leaves in
    `request.auth`: the schema it belongs to and the permissions it grants there. Nothing else
    of it reaches tenancy code, so tenants/ need not know how keys are made or stored."""

    schema_name: str
    # Names the credential in audit entries ("API key strata_ab12cd34 (CI)").
    label: str

    @abc.abstractmethod
    def grants(self, permission: Permission) -> bool: ...
