"""The plans the public site shows. Billing (issue 7) replaces this list with its catalog, which
will also enforce the limits; until then every workspace is on the free plan."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    name: str
    price: str
    period: str
    summary: str
    limits: tuple[str, ...]
    highlighted: bool = False


PLANS = (
    Plan(
        name="Free",
        price="$0",
        period="forever",
        summary="For a small team trying Strata out.",
        limits=("3 members", "3 projects", "100 MB of attachments", "60 API requests a minute"),
    ),
    Plan(
        name="Pro",
        price="$12",
        period="per member / month",
        summary="For teams that run their work in Strata.",
        limits=(
            "25 members",
            "Unlimited projects",
            "10 GB of attachments",
            "600 API requests a minute",
            "Audit log export",
        ),
        highlighted=True,
    ),
    Plan(
        name="Business",
        price="$24",
        period="per member / month",
        summary="For companies with their own domain and stricter needs.",
        limits=(
            "Unlimited members",
            "Unlimited projects",
            "100 GB of attachments",
            "3,000 API requests a minute",
            "Custom domain",
            "Audit log export",
        ),
    ),
)
