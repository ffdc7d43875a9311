# skiff — build, run and test. See README.md.

# sudo resets PATH; find Go where the machine installs it.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
export GO
export GOFLAGS ?= -buildvcs=false

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/skiffrt/skiff/internal/version.Version=$(VERSION)
# cgo and libseccomp: skiff-shim links libcontainer with seccomp.
BUILDTAGS ?= seccomp

BIN := $(CURDIR)/bin

# skiff-pause is the no-libc C program cmd/skiff-pause/pause.c where its
# x86-64 system call stubs apply: GOARCH amd64 and a C compiler for
# x86_64 (gcc, from install-deps). Elsewhere (arm64…) it is the Go
# program cmd/skiff-pause/fallback: same behaviour, 0.66 MB more per pod.
PAUSE_C := $(shell [ "$$($(GO) env GOARCH)" = amd64 ] && $(CC) -dumpmachine 2>/dev/null | grep -q '^x86_64' && echo yes)
PAUSE_CFLAGS := -static -nostdlib -Os -Wall -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-ident -Wl,--build-id=none -Wl,-z,noseparate-code -Wl,-z,norelro -s
ifeq ($(PAUSE_C),yes)
build-pause = $(CC) $(PAUSE_CFLAGS) -DVERSION='"$(VERSION)"' -o $(BIN)/skiff-pause cmd/skiff-pause/pause.c
else
build-pause = CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w -X main.version=$(VERSION)' -o $(BIN)/skiff-pause ./cmd/skiff-pause/fallback
endif

# skiff-nsexec, the shim's fast exec path (cmd/skiff-nsexec/nsexec.c), is
# a static C program, built where there is a C compiler. Without one it
# is not built and the shim runs every exec through libcontainer, as it
# does for the execs the fast path does not cover.
NSEXEC_C := $(shell $(CC) -dumpmachine >/dev/null 2>&1 && echo yes)
ifeq ($(NSEXEC_C),yes)
build-nsexec = $(CC) -static -O2 -Wall -s -o $(BIN)/skiff-nsexec cmd/skiff-nsexec/nsexec.c
else
build-nsexec = rm -f $(BIN)/skiff-nsexec; echo "no C compiler: skiff-nsexec not built, execs go through libcontainer"
endif

# make install: where, and an optional staging root.
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR ?=

.PHONY: cluster cluster-down bench-controlplane bench-proxy FORCE kubectl kubelet all deps test-deps build run test test-unit test-e2e test-e2e-controlplane test-critest test-kubelet critest-update vet clean install uninstall bench

all: build

deps:
	@hack/install-deps.sh

# The static busybox the test images are built from, and the CRIU that
# checkpoint and restore use (Debian 12's fails on kernels >= 6.13):
# compiled once from Debian's source packages, then cached under
# /var/cache/skiff (hack/busybox.sh, hack/criu.sh).
test-deps: deps
	@echo "busybox for test images: $$(hack/busybox.sh)"
	@echo "criu for checkpoint and restore: $$(hack/criu.sh)"

build: deps
	$(GO) build -tags '$(BUILDTAGS)' -ldflags '$(LDFLAGS)' -o $(BIN)/skiffd ./cmd/skiffd
	$(GO) build -tags '$(BUILDTAGS)' -ldflags '$(LDFLAGS)' -o $(BIN)/skiff-shim ./cmd/skiff-shim
	@mkdir -p $(BIN)
	$(build-pause)
	$(build-nsexec)
	$(GO) build -o $(BIN)/skiff-testregistry ./cmd/skiff-testregistry
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/skiff ./cmd/skiff

build: $(BIN)/crictl $(BIN)/critest $(BIN)/ginkgo $(BIN)/kubectl

# The CRI tools, pinned by the tools module; rebuilt when the pin moves.
$(BIN)/crictl: tools/go.mod tools/go.sum
	cd tools && $(GO) build -o $@ sigs.k8s.io/cri-tools/cmd/crictl

$(BIN)/critest: tools/go.mod tools/go.sum
	cd tools && $(GO) test -c -o $@ sigs.k8s.io/cri-tools/cmd/critest

# critest runs its specs in parallel through the ginkgo CLI.
$(BIN)/ginkgo: tools/go.mod tools/go.sum
	cd tools && $(GO) build -o $@ github.com/onsi/ginkgo/v2/ginkgo

# The real kubectl, built from k8s.io/kubectl in its own tools module
# (tools/kubectl); the version stamp is the release that module pins.
KUBECTL_VERSION := v1.37.2
KUBECTL_LDFLAGS := $(foreach p,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
	-X $(p).gitVersion=$(KUBECTL_VERSION) -X $(p).gitMajor=1 -X $(p).gitMinor=37 -X $(p).gitTreeState=clean)
kubectl bin/kubectl: $(BIN)/kubectl
$(BIN)/kubectl: tools/kubectl/go.mod tools/kubectl/go.sum tools/kubectl/main.go
	cd tools/kubectl && $(GO) build -trimpath -ldflags '-s -w $(KUBECTL_LDFLAGS)' -o $@ .

# The real kubelet the node tests run skiffd under, built from
# k8s.io/kubernetes by the tools/kubelet module: ~10 minutes of CPU once,
# then cached under /var/cache/skiff by go.sum (hack/kubelet.sh).
kubelet: $(BIN)/kubelet

$(BIN)/kubelet: tools/kubelet/go.mod tools/kubelet/go.sum hack/kubelet.sh
	install -D -m 0755 "$$(hack/kubelet.sh)" $@

# Installs skiffd as a node component (hack/install.sh says what and where);
# uninstall removes exactly what install placed, keeping changed config.
install: build
	DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' SYSCONFDIR='$(SYSCONFDIR)' SRCBIN='$(BIN)' hack/install.sh install

uninstall:
	DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' SYSCONFDIR='$(SYSCONFDIR)' hack/install.sh uninstall

# Runs skiffd and `skiff server` together with the default configuration.
run: build
	@hack/run.sh $(BIN)

test: build test-deps $(BIN)/kubelet
	$(MAKE) test-unit test-e2e test-e2e-controlplane test-critest test-kubelet

vet:
	$(GO) vet -tags '$(BUILDTAGS)' ./...
	$(GO) vet -tags 'e2e $(BUILDTAGS)' ./test/e2e/
	$(GO) vet -tags e2e ./test/e2e/controlplane/
	$(GO) vet -tags 'kubelet $(BUILDTAGS)' ./test/kubelet/

test-unit: vet
	$(GO) test -tags '$(BUILDTAGS)' -count=1 ./...

test-e2e:
	SKIFF_BIN=$(BIN) $(GO) test -tags 'e2e $(BUILDTAGS)' -count=1 -timeout 20m ./test/e2e/

# The control plane end to end: real `skiff server`s driven by the real
# kubectl, in temp dirs on loopback ports.
test-e2e-controlplane:
	SKIFF_BIN=$(BIN) $(GO) test -tags e2e -count=1 -timeout 20m ./test/e2e/controlplane/

# A real kubelet, standalone, runs static pods on a skiffd (test/kubelet).
test-kubelet: $(BIN)/kubelet
	SKIFF_BIN=$(BIN) $(GO) test -tags 'kubelet $(BUILDTAGS)' -count=1 -timeout 20m ./test/kubelet/

test-critest:
	$(GO) run ./test/critest -bin $(BIN) $(CRITEST_FLAGS)

# Rewrites test/critest/passing.txt with the specs that pass now.
critest-update:
	$(GO) run ./test/critest -bin $(BIN) -update $(CRITEST_FLAGS)

# skiff against containerd, side by side (test/bench; not part of test).
# Writes docs/bench.md, docs/bench/latency.svg and docs/bench/results.json.
bench: build test-deps $(BIN)/bench-pause
	@hack/install-deps.sh bench
	$(GO) run ./test/bench -bin $(BIN) -pause $(BIN)/bench-pause $(BENCH_FLAGS)

# The control plane under load: 10,000 objects created while 50 watchers
# follow them; latency of create, get, list and the server's memory.
# Only the service proxy's rule sync (nftables against iptables-restore),
# in a throwaway network namespace; writes its block of docs/bench.md.
bench-proxy:
	@hack/install-deps.sh
	$(GO) run ./test/bench -suites proxy $(BENCH_FLAGS)

bench-controlplane: $(BIN)/skiff
	$(GO) run ./test/cpbench -bin $(BIN) $(CPBENCH_FLAGS)

$(BIN)/skiff: FORCE
	$(GO) build -ldflags '$(LDFLAGS)' -o $@ ./cmd/skiff

FORCE:

# The reference runtime's pause program (test/bench/pause).
$(BIN)/bench-pause: test/bench/pause/pause.c
	cc -static -Os -s -o $@ $<

# N simulated nodes on this machine, each a network namespace with its own
# skiffd and agent, joined to a `skiff server` over a bridge standing for
# the LAN (hack/cluster.sh): make cluster NODES=3; make cluster-down.
NODES ?= 3
cluster: build
	SKIFF_BIN=$(BIN) hack/cluster.sh up $(NODES)

cluster-down:
	SKIFF_BIN=$(BIN) hack/cluster.sh down

clean:
	rm -rf $(BIN)
