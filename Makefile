# stopline: every target is a one-line alias for a command you can also run by hand.
.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv/bin
BUNDLE ?= artifacts/model
# The project: stopline.toml, or CONFIG=path/to/project.toml (exported as STOPLINE_CONFIG).
ifdef CONFIG
export STOPLINE_CONFIG := $(CONFIG)
endif

## help: list the targets
.PHONY: help
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  make /'

## setup: create .venv from the locked dependencies (installs uv into it)
.PHONY: setup
setup:
	@scripts/setup.sh

## pipeline: the main job — every stage in order, deploy last, stopping the line at the first failure
.PHONY: pipeline
pipeline: setup
	$(VENV)/pytest -x

## test: the stages that need no Docker engine (lint, unit, component, model)
.PHONY: test
test: setup
	$(VENV)/pytest -m "lint or unit or component or model"

## faults: prove the stop — inject a fault at each stage into a scratch copy and check the line stops there
.PHONY: faults
faults: setup
	$(VENV)/pytest tests/faults

## chaos: the reliability scenarios under load and faults, against what is deployed (~5 min; SOAK=600 for a 10-minute soak); reports/reliability.{json,md}
.PHONY: chaos
chaos: setup
	scripts/chaos/chaos.sh $(if $(SOAK),--soak $(SOAK))

## act: run the GitHub workflow locally with act, green and with an injected failure
.PHONY: act
act: setup
	scripts/act.sh

## status: what is deployed, since when, healthy replicas, the front door, the last releases (JSON=1 for JSON)
.PHONY: status
status: setup
	@$(VENV)/python -m scripts.deploy status $(if $(JSON),--json)

## rollback: redeploy the release before this one and verify it; TO=sha256:… for an older one
.PHONY: rollback
rollback: setup
	$(VENV)/python -m scripts.deploy rollback $(if $(TO),--to "$(TO)")

## deploy: redeploy a release that passed the line here: make deploy IMAGE=ref@sha256:… (anything else is refused)
.PHONY: deploy
deploy: setup
	@[ -n "$(IMAGE)" ] || { echo "make deploy needs IMAGE=image@sha256:… (make status lists the releases)" >&2; exit 2; }
	$(VENV)/python -m scripts.deploy deploy "$(IMAGE)"

## undeploy: remove the stack (the registry and the release history stay)
.PHONY: undeploy
undeploy: setup
	$(VENV)/python -m scripts.deploy undeploy

## k8s: render the Kubernetes and KServe manifests for a release into build/k8s: make k8s [IMAGE=ref@sha256:…] (default: what serves here)
.PHONY: k8s
k8s: setup
	$(VENV)/python -m scripts.deploy.k8s $(if $(IMAGE),--image "$(IMAGE)")

## init: draft stopline.toml from a CSV: make init DATA=my.csv TARGET=column [TASK=regression] [FORCE=1] [CONFIG=out.toml]
.PHONY: init
init: setup
	$(VENV)/python -m service.train.init $(if $(DATA),--data "$(DATA)") $(if $(TARGET),--target "$(TARGET)") $(if $(TASK),--task "$(TASK)") $(if $(FORCE),--force) --out "$(or $(CONFIG),stopline.toml)"

## train: validate the data, train, evaluate, gate, and write the bundle to artifacts/model
.PHONY: train
train: setup
	$(VENV)/python -m service.train --out $(BUNDLE)

## serve: run the service on 127.0.0.1:8000 with a bundle that passed the gate (trains and gates one if needed)
.PHONY: serve
serve: setup
	@[ -f $(BUNDLE)/bundle.json ] || $(VENV)/python -m service.train --out $(BUNDLE)
	@$(VENV)/python -m service.train.gated $(BUNDLE)
	$(VENV)/python -m service --bundle $(BUNDLE)

## bench: stopline against MLServer on this machine, one CPU each (~11 min); reports/bench.{json,md,png}
.PHONY: bench
bench: setup
	scripts/bench/bench.sh

## lock: re-resolve requirements/*.txt (with hashes) from requirements/*.in
.PHONY: lock
lock: setup
	scripts/lock.sh

## clean: remove the virtual environment, artifacts and reports
.PHONY: clean
clean:
	rm -rf .venv artifacts reports .hypothesis
