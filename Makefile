# The two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3

.PHONY: run test install lint check bench backup restore

## Set everything up and run the service with the demo tenants (Ctrl-C stops it all).
run:
	$(PYTHON) scripts/stack.py run

## Run the whole test suite against a throwaway PostgreSQL and Redis.
test:
	$(PYTHON) scripts/stack.py test

## Create .venv and install the pinned dependencies.
install:
	$(PYTHON) scripts/stack.py install

## ruff over the whole tree.
lint: install
	.venv/bin/ruff check .

## Time the metrics refresh and the dashboards at national scale (docs/performance.md);
## e.g. make bench BENCH_ARGS="--referrals 50000 --tenants 4 --data-dir /tmp/bench-small".
bench:
	$(PYTHON) scripts/bench.py $(BENCH_ARGS)

## Back up the database (the `make run` one, or DATABASE_OWNER_URL / DATABASE_URL) with pg_dump
## into .local/backups/ (or BACKUP_DIR); docs/operations.md.
backup:
	$(PYTHON) scripts/backup.py backup $(BACKUP_ARGS)

## Restore a backup into an empty database: make restore FILE=.local/backups/x.dump
## (REPLACE=1 drops and recreates the database first; stop `make run` before).
restore:
	@test -n "$(FILE)" || (echo "Usage: make restore FILE=path/to/backup.dump [REPLACE=1]"; exit 2)
	$(PYTHON) scripts/backup.py restore "$(FILE)" $(if $(REPLACE),--replace) $(RESTORE_ARGS)
