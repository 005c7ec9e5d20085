# Railyard. Every target works from a clean clone with only Go, git and make
# on the machine: tools are built from pinned Go modules into ./bin.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

BIN            := $(CURDIR)/bin
K8S_BIN        := $(BIN)/k8s
CONTROLLER_GEN := $(BIN)/controller-gen
GOLANGCI_LINT  := $(BIN)/golangci-lint

CONTROLLER_TOOLS_VERSION := v0.23.0
GOLANGCI_LINT_VERSION    := v2.15.0
HELM_VERSION             := v3.22.0
GITEA_VERSION            := $(shell cat hack/tools/gitea/VERSION)
GITEA                    := $(BIN)/gitea/$(GITEA_VERSION)/gitea
ROLLOUTS_VERSION         := $(shell cat hack/tools/rollouts/VERSION)
ROLLOUTS                 := $(BIN)/rollouts/$(ROLLOUTS_VERSION)/rollouts-controller

IMG     ?= ghcr.io/railyard-dev/railyard:dev
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/railyard-dev/railyard/internal/version.Version=$(VERSION)

# Test flags: TEST_FLAGS="-run TestX -v" make test
TEST_FLAGS ?=

.PHONY: all
all: build

##@ Development

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code.
	$(CONTROLLER_GEN) object paths=./api/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs and RBAC.
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd/bases
	$(CONTROLLER_GEN) rbac:roleName=manager-role paths=./internal/... output:rbac:artifacts:config=config/rbac

.PHONY: fmt
fmt: ## gofmt every Go file.
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## go vet.
	go vet ./...

.PHONY: lint
lint: $(GOLANGCI_LINT) ## golangci-lint.
	$(GOLANGCI_LINT) run ./...

.PHONY: verify-generated
verify-generated: generate manifests ## Fail when generated files are stale.
	@git diff --exit-code -- api config || { echo "generated files are out of date: run 'make generate manifests' and commit"; exit 1; }

.PHONY: envtest
envtest: $(K8S_BIN)/kube-apiserver $(K8S_BIN)/etcd $(K8S_BIN)/kubectl $(K8S_BIN)/helm ## Build kube-apiserver, etcd, kubectl and helm into bin/k8s.

.PHONY: test
# -timeout 30m: TestImage cross-builds the manager, the CLI (with the web UI)
# and helm for arm64, which on a machine with a cold Go cache takes longer
# than go test's default 10 minutes per package.
test: envtest gitea rollouts ## Run all tests (envtest, real git server, registries, kubectl).
	go test -timeout 30m $(TEST_FLAGS) ./...

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each (default 10s); the seed corpora also run in `make test`.
	FUZZTIME=$(or $(FUZZTIME),10s) hack/fuzz.sh

.PHONY: bench
bench: envtest ## Run the benchmarks reported in docs/benchmarks.md.
	go test -run '^$$' -bench . -benchmem ./internal/discovery/...

##@ Build

.PHONY: build
build: ## Build bin/manager, bin/railyard and bin/railyard-helm-guard.
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/manager ./cmd/manager
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/railyard ./cmd/railyard
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/railyard-helm-guard ./cmd/railyard-helm-guard
	ln -sf railyard $(BIN)/kubectl-railyard

.PHONY: gitea
gitea: $(GITEA) ## Build the Gitea server internal/forgetest runs (a real forge with pull requests) into bin/gitea/<version>.

.PHONY: rollouts
rollouts: $(ROLLOUTS) ## Build the Argo Rollouts controller internal/rolloutstest runs (AnalysisRuns) and its CRDs into bin/rollouts/<version>.

.PHONY: helm
helm: $(K8S_BIN)/helm ## Build the helm binary kustomize-build's Helm inflation runs.

.PHONY: demo demo-ci
demo: build envtest ## Run the pipeline on a local control plane, registry and git server (Ctrl-C stops it).
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/demo ./cmd/demo
	$(BIN)/demo

demo-ci: build envtest ## Run the demo's whole scenario non-interactively; fails unless every step happened.
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/demo ./cmd/demo
	$(BIN)/demo --non-interactive

##@ Deployment (onto the cluster of the current kubeconfig)

.PHONY: install
install: manifests $(K8S_BIN)/kubectl ## Install the CRDs.
	$(K8S_BIN)/kubectl apply --server-side -k config/crd

.PHONY: uninstall
uninstall: $(K8S_BIN)/kubectl ## Remove the CRDs (and every Railyard object).
	$(K8S_BIN)/kubectl delete --ignore-not-found -k config/crd

.PHONY: deploy
deploy: manifests $(K8S_BIN)/kubectl ## Deploy the manager with image $(IMG).
	cd config/manager && $(K8S_BIN)/kubectl kustomize . >/dev/null
	$(K8S_BIN)/kubectl kustomize config/default | sed 's|image: controller:latest|image: $(IMG)|' | $(K8S_BIN)/kubectl apply --server-side -f -
	@# The Stage finalizer's admission policy, where the cluster serves the API (Kubernetes 1.36 or later).
	if $(K8S_BIN)/kubectl api-resources --api-group=admissionregistration.k8s.io -o name | grep -qx 'mutatingadmissionpolicies.admissionregistration.k8s.io'; then \
		$(K8S_BIN)/kubectl apply --server-side -k config/stage-finalizer; fi

.PHONY: undeploy
undeploy: $(K8S_BIN)/kubectl ## Remove the manager.
	$(K8S_BIN)/kubectl kustomize config/stage-finalizer | $(K8S_BIN)/kubectl delete --ignore-not-found -f - 2>/dev/null || true
	$(K8S_BIN)/kubectl kustomize config/default | $(K8S_BIN)/kubectl delete --ignore-not-found -f -

##@ Tools (built from pinned Go modules; skipped when present)

$(CONTROLLER_GEN):
	GOBIN=$(BIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)

$(GOLANGCI_LINT):
	GOBIN=$(BIN) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

$(K8S_BIN)/kube-apiserver: hack/tools/k8s/go.mod
	go build -C hack/tools/k8s -o $@ ./kube-apiserver

$(K8S_BIN)/kubectl: hack/tools/k8s/go.mod
	go build -C hack/tools/k8s -o $@ ./kubectl

$(K8S_BIN)/etcd: hack/tools/etcd/go.mod
	go build -C hack/tools/etcd -o $@ .

# Keyed by version only (no file prerequisites), so a fresh clone sharing bin/
# does not rebuild it.
$(GITEA):
	hack/tools/gitea/build.sh $(BIN)

# Keyed by version only, like Gitea.
$(ROLLOUTS):
	hack/tools/rollouts/build.sh $(BIN)

$(K8S_BIN)/helm:
	GOFLAGS=-mod=mod GOBIN=$(K8S_BIN) go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

##@ Help

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ {printf "  %-18s %s\n", $$1, $$2} /^##@/ {printf "\n%s\n", substr($$0, 5)}' $(MAKEFILE_LIST)

##@ Helm chart

CHART_DIR         := charts/railyard
CHART_VERSION     ?= $(shell sed -n 's/^version: *//p' $(CHART_DIR)/Chart.yaml)
# Empty keeps the chart's appVersion (the default image tag).
CHART_APP_VERSION ?=
# Where chart-push publishes, such as oci://ghcr.io/railyard-dev/charts.
CHART_REGISTRY    ?=
# More `helm push` flags, such as --plain-http for a registry without TLS.
CHART_PUSH_FLAGS  ?=

.PHONY: chart-crds
chart-crds: ## Copy config/crd/bases (written by `make manifests`) into the chart's crds/.
	rm -f $(CHART_DIR)/crds/*.yaml
	cp config/crd/bases/*.yaml $(CHART_DIR)/crds/

.PHONY: chart
chart: $(K8S_BIN)/helm chart-crds ## Lint the chart and package it into dist/ (CHART_VERSION, CHART_APP_VERSION).
	$(K8S_BIN)/helm lint --strict $(CHART_DIR)
	$(K8S_BIN)/helm package $(CHART_DIR) --destination dist --version $(CHART_VERSION) $(if $(CHART_APP_VERSION),--app-version $(CHART_APP_VERSION))

.PHONY: chart-push
chart-push: chart ## Package the chart and push it to CHART_REGISTRY=oci://host/path (log in first with `helm registry login`).
	@[[ "$(CHART_REGISTRY)" == oci://* ]] || { echo "set CHART_REGISTRY=oci://host/path"; exit 1; }
	$(K8S_BIN)/helm push dist/railyard-$(CHART_VERSION).tgz $(CHART_REGISTRY) $(CHART_PUSH_FLAGS)

##@ Image

IMAGE_PLATFORMS ?= linux/amd64,linux/arm64
IMAGE_DIST      ?= dist/railyard-image
IMAGE_FLAGS      = -version '$(VERSION)' -ldflags '$(LDFLAGS)' -helm-version $(HELM_VERSION) \
                   -platforms $(IMAGE_PLATFORMS) -cache $(BIN)/image

.PHONY: image
image: ## Build the manager image for IMAGE_PLATFORMS without Docker and push it to $(IMG).
	go run ./hack/tools/image -img '$(IMG)' $(IMAGE_FLAGS)

.PHONY: image-tar
image-tar: ## Write the same image as an OCI layout into $(IMAGE_DIST) instead of pushing it.
	rm -rf $(IMAGE_DIST)
	go run ./hack/tools/image -output $(IMAGE_DIST) $(IMAGE_FLAGS)

##@ Scale

SCALE_APPS ?= 100

.PHONY: bench-scale-settled
bench-scale-settled: envtest ## SCALE_SETTLED_APPS apps (default 1000) at rest: discovery within the interval, RSS, CPU (docs/benchmarks.md).
	SCALE_SETTLED_APPS=$(or $(SCALE_SETTLED_APPS),1000) go test ./test/e2e -run '^$$' -bench '^BenchmarkScaleSettled$$' -benchtime 1x -count 1 -timeout 90m $(TEST_FLAGS)

.PHONY: bench-scale
bench-scale: envtest ## Promote SCALE_APPS apps (default 100) shaped like the users' and print times, peak RSS and idle CPU (docs/benchmarks.md).
	SCALE_APPS=$(SCALE_APPS) go test ./test/e2e -run '^$$' -bench '^BenchmarkScale$$' -benchtime 1x -count 1 -timeout 90m $(TEST_FLAGS)

.PHONY: bench-status-write
bench-status-write: envtest ## kube-apiserver's CPU per status write of a Promotion: merge patch vs update (docs/benchmarks.md).
	go test ./test/e2e -run '^$$' -bench '^BenchmarkStatusWrite$$' -benchtime $(or $(BENCH_STATUS_TIMES),20x) -count 1 $(TEST_FLAGS)

.PHONY: bench-atomic-status
bench-atomic-status: envtest ## kube-apiserver's CPU per status write of a Promotion: atomic nested status objects vs granular (docs/benchmarks.md).
	go test ./test/e2e -run '^$$' -bench '^BenchmarkAtomicStatus$$' -benchtime $(or $(BENCH_STATUS_TIMES),40x) -count 1 $(TEST_FLAGS)

.PHONY: bench-ui
bench-ui: envtest ## The web UI's benchmarks: the 30-app pipeline page, a Stage's change to an open page (docs/benchmarks.md).
	go test ./internal/ui -run '^$$' -bench 'BenchmarkPipelinePage30Apps|BenchmarkStageChange' -benchtime $(or $(BENCH_UI_TIMES),50x) -count 1 $(TEST_FLAGS)

##@ Docs

.PHONY: docs-screenshots
docs-screenshots: envtest ## Regenerate docs/images/*.png: the demo's scenario, then headless chromium on its web UI.
	go run ./hack/tools/screenshots -out docs/images
