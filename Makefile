# The two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3

.PHONY: run test install lint check bench

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
