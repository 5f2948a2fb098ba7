# Installs Verdant: binaries, systemd units, the tmpfiles rule, default configuration and policies.
#   make install [PREFIX=/usr/local] [DESTDIR=/staging]   (needs a release build: make build)
#   make uninstall
# Also installs man pages (man1) and bash/zsh/fish completions generated from the argument parsers
# (scripts/generate-shell-files).
# Paths: docs/operations.md. The units' ExecStart names $(PREFIX)/bin/verdantd.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
SYSCONFDIR ?= /etc
UNITDIR ?= /etc/systemd/system
TMPFILESDIR ?= /etc/tmpfiles.d
DOCDIR = $(PREFIX)/share/doc/verdant
MANDIR = $(PREFIX)/share/man/man1
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR = $(PREFIX)/share/fish/vendor_completions.d
SHELLFILES = $(BUILD)/shell-files
BUILD ?= .build/release
UNITS = $(wildcard systemd/*.service systemd/*.socket systemd/*.timer)

.PHONY: build install uninstall verify-units

# Release builds with the Swift runtime and Foundation linked in (--static-swift-stdlib): verdantd
# maps one file instead of ~10 shared libraries and pages in only what it uses (peak RSS and start-up
# figures: docs/performance.md). The binaries then need no Swift toolchain on the host.
# Every module, dependencies included, is compiled with -function-sections (one ELF section per Swift
# function), so that verdantd's symbol-ordering file (Sources/verdantd/symbol-order.txt) can place
# the code start-up and sampling run together (docs/performance.md, "Code laid out by function"); the
# same flags for every product, or each swift build would recompile the modules the others built.
FUNCTION_SECTIONS = -Xswiftc -Xfrontend -Xswiftc -function-sections
build:
	swift build -c release --static-swift-stdlib --product verdantd $(FUNCTION_SECTIONS)
	swift build -c release --static-swift-stdlib --product verdant $(FUNCTION_SECTIONS)
	swift build -c release --product generate-manual $(FUNCTION_SECTIONS)
	scripts/generate-shell-files $(BUILD) $(SHELLFILES)

install:
	test -x $(BUILD)/verdantd -a -x $(BUILD)/verdant || { echo "run 'make build' first" >&2; exit 1; }
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(TMPFILESDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/verdant/policies $(DESTDIR)$(SYSCONFDIR)/verdant/credentials $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/verdantd $(BUILD)/verdant $(DESTDIR)$(BINDIR)/
	cp -R $(BUILD)/Verdant_VerdantDaemon.resources $(DESTDIR)$(BINDIR)/ 2>/dev/null || true
	for u in $(UNITS); do \
	  sed 's|/usr/local/bin/|$(BINDIR)/|g' $$u > $(DESTDIR)$(UNITDIR)/$$(basename $$u); \
	  chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	install -m 0644 systemd/verdant-powercap.conf $(DESTDIR)$(TMPFILESDIR)/verdant-powercap.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/verdant/verdantd.yaml || \
	  install -m 0644 systemd/verdantd.yaml.example $(DESTDIR)$(SYSCONFDIR)/verdant/verdantd.yaml
	for p in Policies/*.yaml; do test -e $(DESTDIR)$(SYSCONFDIR)/verdant/policies/$$(basename $$p) || \
	  install -m 0644 $$p $(DESTDIR)$(SYSCONFDIR)/verdant/policies/; done
	chmod 0700 $(DESTDIR)$(SYSCONFDIR)/verdant/credentials
	for c in electricitymaps-token watttime-password; do test -e $(DESTDIR)$(SYSCONFDIR)/verdant/credentials/$$c || \
	  install -m 0600 /dev/null $(DESTDIR)$(SYSCONFDIR)/verdant/credentials/$$c; done
	install -m 0644 README.md docs/operations.md docs/configuration.md docs/cli.md $(DESTDIR)$(DOCDIR)/
	test -e $(SHELLFILES)/man/verdant.1 || scripts/generate-shell-files $(BUILD) $(SHELLFILES)
	install -d $(DESTDIR)$(MANDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0644 $(SHELLFILES)/man/verdant.1 $(SHELLFILES)/man/verdantd.1 $(DESTDIR)$(MANDIR)/
	install -m 0644 $(SHELLFILES)/completions/bash/verdant $(SHELLFILES)/completions/bash/verdantd $(DESTDIR)$(BASHCOMPDIR)/
	install -m 0644 $(SHELLFILES)/completions/zsh/_verdant $(SHELLFILES)/completions/zsh/_verdantd $(DESTDIR)$(ZSHCOMPDIR)/
	install -m 0644 $(SHELLFILES)/completions/fish/verdant.fish $(SHELLFILES)/completions/fish/verdantd.fish $(DESTDIR)$(FISHCOMPDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/verdantd $(DESTDIR)$(BINDIR)/verdant
	rm -rf $(DESTDIR)$(BINDIR)/Verdant_VerdantDaemon.resources $(DESTDIR)$(DOCDIR)
	rm -f $(DESTDIR)$(MANDIR)/verdant.1 $(DESTDIR)$(MANDIR)/verdantd.1 $(DESTDIR)$(BASHCOMPDIR)/verdant $(DESTDIR)$(BASHCOMPDIR)/verdantd \
	  $(DESTDIR)$(ZSHCOMPDIR)/_verdant $(DESTDIR)$(ZSHCOMPDIR)/_verdantd $(DESTDIR)$(FISHCOMPDIR)/verdant.fish $(DESTDIR)$(FISHCOMPDIR)/verdantd.fish
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	rm -f $(DESTDIR)$(TMPFILESDIR)/verdant-powercap.conf
	@echo "kept: $(SYSCONFDIR)/verdant (configuration, credentials) and /var/lib/verdant (state); remove by hand"

# systemd-analyze verify on every unit (with the binary path made to exist) and the security exposure.
verify-units:
	scripts/verify-units

# Every benchmark, with the peers (CodeCarbon, carbon-aware-scheduler from PyPI, in venvs under .build),
# as one table and .build/bench.json (docs/performance.md). As root (job cgroups); a release build;
# about 30-60 minutes. BENCH_ARGS: e.g. --runs 5, --only planner,planner-peer, --json FILE.
.PHONY: bench bench-smoke
bench:
	scripts/bench $(BENCH_ARGS)

# A quick, offline check that every benchmark still runs (what .ci/run does); figures not judged.
bench-smoke:
	scripts/bench --smoke --config debug $(BENCH_ARGS)
