from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.hosts import with_request_port


def landing(request: HttpRequest) -> HttpResponse:
    base_host = with_request_port(request, settings.STRATA_BASE_DOMAIN)
    return render(request, "website/landing.html", {"base_host": base_host})
