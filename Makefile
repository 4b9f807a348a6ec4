# fairify: two commands on a fresh machine with only Python 3.
#   make demo   set up, then convert -> validate -> load -> query on the bundled sample data
#   make test   set up, then lint and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO := examples/demo
DEMO_OUT := $(DEMO)/out
DEMO_KEY := $(DEMO)/station.key

.PHONY: demo test test-fast lint format setup clean bench

$(BIN)/fairify: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,excel]'
	touch $(BIN)/fairify

setup: $(BIN)/fairify

lint: setup
	$(BIN)/ruff check fairify tests benchmarks ontologies scripts
	$(BIN)/ruff format --check fairify tests benchmarks ontologies scripts

format: setup
	$(BIN)/ruff check --fix fairify tests benchmarks ontologies scripts
	$(BIN)/ruff format fairify tests benchmarks ontologies scripts

test: setup lint
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

# Only the demo uses the demo key; tests set their own secrets.
demo: export FAIRIFY_SECRET_FILE ?= $(abspath $(DEMO_KEY))
demo: setup $(DEMO_KEY)
	@mkdir -p $(DEMO_OUT)
	@rm -rf $(DEMO_OUT)/store
	@echo "== convert (exit 1 is expected: the demo data has planted errors, reported by row)"
	$(BIN)/fairify convert mappings/hn_clinical.yarrrml.yml -o $(DEMO_OUT)/clinical.nq || [ $$? -eq 1 ]
	@echo "== validate (exit 1 is expected: SHACL finds the planted out-of-range values)"
	$(BIN)/fairify validate $(DEMO_OUT)/clinical.nq --shapes shapes/hn_clinical.ttl || [ $$? -eq 1 ]
	@echo "== DICOM: the demo patients' RT headers, de-identified (generic model), and through the TG-263 mapping"
	$(BIN)/fairify convert --dicom $(DEMO)/dicom -o $(DEMO_OUT)/imaging.nq
	$(BIN)/fairify convert mappings/dicom_rt.yarrrml.yml -o $(DEMO_OUT)/dicom_rt.nq
	@echo "== load"
	$(BIN)/fairify load $(DEMO_OUT)/clinical.nq $(DEMO_OUT)/clinical.prov.nq ontologies/hn_terms.ttl \
		$(DEMO_OUT)/imaging.nq $(DEMO_OUT)/imaging.prov.nq $(DEMO_OUT)/dicom_rt.nq ontologies/dicom.ttl \
		--store $(DEMO_OUT)/store
	@echo "== query"
	$(BIN)/fairify query cohort_by_stage --store $(DEMO_OUT)/store
	$(BIN)/fairify query cohort_survival --param tstage=T3 --param hpv=positive --store $(DEMO_OUT)/store -o $(DEMO_OUT)/cohort_T3_hpv_positive.csv
	$(BIN)/fairify query imaging_structures --param interpreted_type=PTV --store $(DEMO_OUT)/store

# A demo-only site secret, made on first use and never committed: a real station keeps its own.
$(DEMO_KEY):
	$(PYTHON) -c "import secrets; print(secrets.token_hex(32))" > $@

clean:
	rm -rf $(DEMO_OUT) .pytest_cache .ruff_cache
