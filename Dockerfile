# syntax=docker/dockerfile:1
# Strata's one image. The web server (gunicorn) is the default command; the worker, beat and the
# fleet migration job run from the same image with another command (see helm/strata).

ARG PYTHON_VERSION=3.11

# --- build: dependencies from the lock, the application, static files -----------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install --no-cache-dir "uv==0.13.9"
WORKDIR /app
# Dependencies first, exactly as locked and without the dev group: this layer is reused until
# pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
COPY manage.py ./
COPY config config
COPY tenants tenants
COPY shared_apps shared_apps
COPY tenant_apps tenant_apps
COPY billing billing
COPY templates templates
COPY static static
# The root file system is read-only at run time: compile now, never at start.
RUN .venv/bin/python -m compileall -q config tenants shared_apps tenant_apps billing
# Collected and compressed once, here. collectstatic reads no database and no secret, so the
# production settings load with placeholders.
RUN DJANGO_SETTINGS_MODULE=config.settings.prod DJANGO_SECRET_KEY=collectstatic-only DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 STRATA_BASE_DOMAIN=build.invalid STRATA_STATIC_ROOT=/app/staticfiles .venv/bin/python manage.py collectstatic --noinput --verbosity 0

# --- run: the interpreter, the environment and the code; no compilers, no uv, not root -------
FROM python:${PYTHON_VERSION}-slim-bookworm
RUN groupadd --system --gid 10001 strata \
    && useradd --system --uid 10001 --gid strata --home-dir /app --no-create-home strata
WORKDIR /app
# Owned by root and not writable by the app: what runs cannot change its own code.
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings.prod \
    STRATA_STATIC_ROOT=/app/staticfiles \
    PORT=8000
USER 10001:10001
EXPOSE 8000
CMD ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi:application"]
