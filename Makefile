# Installs Verdant: binaries, systemd units, the tmpfiles rule, default configuration and policies.
#   make install [PREFIX=/usr/local] [DESTDIR=/staging]   (needs a release build: make build)
#   make uninstall
# Paths: docs/operations.md. The units' ExecStart names $(PREFIX)/bin/verdantd.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
SYSCONFDIR ?= /etc
UNITDIR ?= /etc/systemd/system
TMPFILESDIR ?= /etc/tmpfiles.d
DOCDIR = $(PREFIX)/share/doc/verdant
BUILD ?= .build/release
UNITS = $(wildcard systemd/*.service systemd/*.socket systemd/*.timer)

.PHONY: build install uninstall verify-units

# Release builds with the Swift runtime and Foundation linked in (--static-swift-stdlib): verdantd
# maps one file instead of ~10 shared libraries and pages in only what it uses (peak RSS and start-up
# figures: docs/performance.md). The binaries then need no Swift toolchain on the host.
build:
	swift build -c release --static-swift-stdlib --product verdantd
	swift build -c release --static-swift-stdlib --product verdant

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

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/verdantd $(DESTDIR)$(BINDIR)/verdant
	rm -rf $(DESTDIR)$(BINDIR)/Verdant_VerdantDaemon.resources $(DESTDIR)$(DOCDIR)
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	rm -f $(DESTDIR)$(TMPFILESDIR)/verdant-powercap.conf
	@echo "kept: $(SYSCONFDIR)/verdant (configuration, credentials) and /var/lib/verdant (state); remove by hand"

# systemd-analyze verify on every unit (with the binary path made to exist) and the security exposure.
verify-units:
	scripts/verify-units
