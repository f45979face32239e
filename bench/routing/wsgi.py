"""WSGI entry point for gunicorn; the runner sets DJANGO_SETTINGS_MODULE to one variant."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
