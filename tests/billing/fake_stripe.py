"""A fake Stripe at the network boundary: a stripe.HTTPClient that answers the real library's
requests from memory, the way Stripe's API would.

Strata's code and the stripe library run unchanged; only the bytes that would cross the network
are made up here. settings.STRIPE_HTTP_CLIENT (test settings) points at `http_client`. Tests
use `FAKE` to arrange what Stripe holds (customers, subscriptions, invoices), to inject faults
(a 500, a timeout before or after Stripe did the work) and to read what was asked of it.

Like Stripe, a POST with an Idempotency-Key that was seen before gets the first answer again
and does nothing new.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe
from stripe import WebhookSignature

API = "https://api.stripe.com"
PRICES = {"pro": "price_test_pro", "business": "price_test_business"}
WEBHOOK_SECRET = "whsec_strata_test"


@dataclass
class Fault:
    method: str
    path: str  # a prefix of the request path
    kind: str  # "500", "timeout" (before the work) or "lost" (work done, answer lost)
    times: int = 1


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    idempotency_key: str


@dataclass
class FakeStripe:
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    checkout_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    portal_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    _replays: dict[str, tuple[int, str]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def reset(self) -> None:
        with self._lock:
            for table in (
                self.customers,
                self.subscriptions,
                self.invoices,
                self.checkout_sessions,
                self.portal_sessions,
                self._replays,
            ):
                table.clear()
            self.requests.clear()
            self.faults.clear()

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_test{next(self._ids):06d}"

    # --- arranging what Stripe holds ----------------------------------------------------------

    def add_customer(self, *, name: str = "Someone", email: str = "") -> dict[str, Any]:
        customer: dict[str, Any] = {
            "id": self.new_id("cus"),
            "object": "customer",
            "name": name,
            "email": email,
            "metadata": {},
            "created": int(time.time()),
        }
        self.customers[customer["id"]] = customer
        return customer

    def add_subscription(
        self,
        customer_id: str,
        *,
        plan: str = "pro",
        status: str = "active",
        quantity: int = 1,
        created: int | None = None,
        period_end: int | None = None,
        ended_at: int | None = None,
        cancel_at_period_end: bool = False,
        price_id: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        now = int(time.time())
        sub_id = self.new_id("sub")
        subscription: dict[str, Any] = {
            "id": sub_id,
            "object": "subscription",
            "customer": customer_id,
            "status": status,
            "created": created or now,
            "cancel_at_period_end": cancel_at_period_end,
            "ended_at": ended_at,
            "metadata": metadata or {},
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": self.new_id("si"),
                        "object": "subscription_item",
                        "price": {"id": price_id or PRICES[plan], "object": "price"},
                        "quantity": quantity,
                        "current_period_start": now,
                        "current_period_end": period_end or now + 30 * 86400,
                    }
                ],
                "has_more": False,
                "url": f"/v1/subscription_items?subscription={sub_id}",
            },
        }
        self.subscriptions[sub_id] = subscription
        return subscription

    def update_subscription(self, sub_id: str, **changes: Any) -> dict[str, Any]:
        subscription = self.subscriptions[sub_id]
        for key, value in changes.items():
            if key == "quantity":
                subscription["items"]["data"][0]["quantity"] = value
            elif key == "plan":
                subscription["items"]["data"][0]["price"]["id"] = PRICES[value]
            else:
                subscription[key] = value
        return subscription

    def add_invoice(
        self, customer_id: str, *, total: int = 3600, status: str = "paid"
    ) -> dict[str, Any]:
        invoice: dict[str, Any] = {
            "id": self.new_id("in"),
            "object": "invoice",
            "customer": customer_id,
            "number": f"STRATA-{len(self.invoices) + 1:04d}",
            "status": status,
            "total": total,
            "currency": "usd",
            "created": int(time.time()),
            "hosted_invoice_url": "https://invoice.stripe.test/i/x",
            "invoice_pdf": "https://invoice.stripe.test/i/x.pdf",
        }
        self.invoices[invoice["id"]] = invoice
        return invoice

    def fail(self, method: str, path: str, kind: str, times: int = 1) -> None:
        self.faults.append(Fault(method, path, kind, times))

    def requests_to(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path)]

    # --- answering -------------------------------------------------------------------------------

    def answer(
        self, method: str, url: str, headers: Mapping[str, str], body: str | None
    ) -> tuple[str, int, dict[str, str]]:
        parts = urlsplit(url)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        params = dict(parse_qsl(body or "", keep_blank_values=True))
        key = headers.get("Idempotency-Key", "") if method in {"post", "delete"} else ""
        with self._lock:
            self.requests.append(Request(method, path, {**query, **params}, key))
            fault = self._take_fault(method, path)
            if fault == "timeout":
                raise stripe.APIConnectionError("fake: timed out", should_retry=True)  # type: ignore[no-untyped-call]
            if fault == "500":
                return _json({"error": {"type": "api_error", "message": "fake 500"}}, 500)
            replay_key = f"{path}|{key}"
            if key and replay_key in self._replays:
                status, content = self._replays[replay_key]
                return content, status, {"Idempotent-Replayed": "true"}
            status, payload = self._route(method, path, query, params)
            content = json.dumps(payload)
            if key and status < 500:
                self._replays[replay_key] = (status, content)
            if fault == "lost":
                raise stripe.APIConnectionError("fake: answer lost", should_retry=True)  # type: ignore[no-untyped-call]
            return content, status, {}

    def _take_fault(self, method: str, path: str) -> str:
        for fault in self.faults:
            if fault.method == method and path.startswith(fault.path) and fault.times > 0:
                fault.times -= 1
                return fault.kind
        return ""

    def _route(  # noqa: PLR0911  (one branch per endpoint, as Stripe's router)
        self, method: str, path: str, query: dict[str, str], params: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        if method == "post" and path == "/v1/customers":
            customer = self.add_customer(name=params.get("name", ""), email=params.get("email", ""))
            customer["metadata"] = _nested(params, "metadata")
            return 200, customer
        match = re.fullmatch(r"/v1/customers/([^/]+)", path)
        if method == "get" and match:
            return self._found(self.customers, match.group(1))
        if method == "post" and path == "/v1/checkout/sessions":
            session: dict[str, Any] = {
                "id": self.new_id("cs"),
                "object": "checkout.session",
                "customer": params.get("customer"),
                "mode": params.get("mode"),
                "client_reference_id": params.get("client_reference_id"),
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
                "params": params,
            }
            session["url"] = f"https://checkout.stripe.test/c/pay/{session['id']}"
            self.checkout_sessions[session["id"]] = session
            return 200, session
        if method == "post" and path == "/v1/billing_portal/sessions":
            session = {
                "id": self.new_id("bps"),
                "object": "billing_portal.session",
                "customer": params.get("customer"),
                "return_url": params.get("return_url"),
            }
            session["url"] = f"https://billing.stripe.test/p/session/{session['id']}"
            self.portal_sessions[session["id"]] = session
            return 200, session
        if method == "get" and path == "/v1/subscriptions":
            subs = [
                s
                for s in self.subscriptions.values()
                if s["customer"] == query.get("customer")
                and (query.get("status") == "all" or s["status"] != "canceled")
            ]
            return 200, _list(sorted(subs, key=lambda s: -s["created"]), path)
        match = re.fullmatch(r"/v1/subscriptions/([^/]+)", path)
        if match and method == "get":
            return self._found(self.subscriptions, match.group(1))
        if match and method == "delete":
            status, sub = self._found(self.subscriptions, match.group(1))
            if status == 200:
                sub["status"] = "canceled"
                sub["ended_at"] = int(time.time())
            return status, sub
        if match and method == "post":
            status, sub = self._found(self.subscriptions, match.group(1))
            if status == 200 and "items[0][quantity]" in params:
                sub["items"]["data"][0]["quantity"] = int(params["items[0][quantity]"])
            return status, sub
        if method == "get" and path == "/v1/invoices":
            found = [i for i in self.invoices.values() if i["customer"] == query.get("customer")]
            return 200, _list(sorted(found, key=lambda i: -i["created"]), path)
        return 404, {"error": {"type": "invalid_request_error", "message": f"no {path}"}}

    @staticmethod
    def _found(table: dict[str, dict[str, Any]], key: str) -> tuple[int, dict[str, Any]]:
        if key in table:
            return 200, table[key]
        return 404, {"error": {"type": "invalid_request_error", "message": f"No such {key}"}}


def _nested(params: dict[str, str], name: str) -> dict[str, str]:
    prefix = f"{name}["
    return {k[len(prefix) : -1]: v for k, v in params.items() if k.startswith(prefix)}


def _list(data: list[dict[str, Any]], url: str) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": False, "url": url}


def _json(payload: dict[str, Any], status: int) -> tuple[str, int, dict[str, str]]:
    return json.dumps(payload), status, {}


FAKE = FakeStripe()


class FakeHttpClient(stripe.HTTPClient):
    name = "strata-fake"

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, dict[str, str]]:
        body = post_data.decode() if isinstance(post_data, bytes) else post_data
        return FAKE.answer(method.lower(), url, headers or {}, body)

    def close(self) -> None:
        return None


def http_client() -> stripe.HTTPClient:
    """The factory settings.STRIPE_HTTP_CLIENT names."""
    return FakeHttpClient()


# --- webhook deliveries ---------------------------------------------------------------------


def event_payload(
    event_type: str,
    obj: dict[str, Any],
    *,
    event_id: str | None = None,
    created: int | None = None,
) -> bytes:
    """An event as Stripe would POST it (a snapshot of `obj` at the time)."""
    event = {
        "id": event_id or FAKE.new_id("evt"),
        "object": "event",
        "api_version": stripe.api_version,
        "created": created or int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": json.loads(json.dumps(obj))},
    }
    return json.dumps(event).encode()


def signature_for(
    payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> str:
    """The Stripe-Signature header, made by the stripe library's own helper."""
    header: str = WebhookSignature.generate_signature_header(
        payload.decode(), secret, timestamp=timestamp
    )
    return header
