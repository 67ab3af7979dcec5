# Build and install FlukeWatch on a board (or into a package root).
#   make                      release build, Swift runtime linked statically (no toolchain needed on the board)
#   make install              installs under PREFIX (default /usr/local), honouring DESTDIR
#   make deb                  builds dist/flukewatch_VERSION_ARCH.deb (scripts/build-deb.sh)
# Installing enables nothing: see README, "Installing on a board".

PREFIX     ?= /usr/local
DESTDIR    ?=
SYSCONFDIR ?= /etc
BUILD_DIR  ?= .build-release
SWIFT      ?= swift

BINDIR      = $(PREFIX)/bin
LIBDIR      = $(PREFIX)/lib
UNITDIR     = $(LIBDIR)/systemd/system
DATADIR     = $(PREFIX)/share/flukewatch
DOCDIR      = $(PREFIX)/share/doc/flukewatch
BINARY      = $(BUILD_DIR)/release/flukewatch

.PHONY: all build install uninstall deb clean

all: build

build:
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(BUILD_DIR) --product flukewatch

install: build
	install -Dm755 -s $(BINARY) $(DESTDIR)$(BINDIR)/flukewatch
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/bin/flukewatch|$(BINDIR)/flukewatch|' systemd/flukewatch.service > $(DESTDIR)$(UNITDIR)/flukewatch.service
	chmod 644 $(DESTDIR)$(UNITDIR)/flukewatch.service
	install -Dm644 systemd/flukewatch.sysusers.conf $(DESTDIR)$(LIBDIR)/sysusers.d/flukewatch.conf
	install -Dm644 systemd/flukewatch.tmpfiles.conf $(DESTDIR)$(LIBDIR)/tmpfiles.d/flukewatch.conf
	install -Dm644 systemd/flukewatch.catalog $(DESTDIR)$(LIBDIR)/systemd/catalog/flukewatch.catalog
	install -Dm644 configs/flukewatch.toml $(DESTDIR)$(DOCDIR)/flukewatch.toml.example
	install -Dm644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -d $(DESTDIR)$(DATADIR)/models
	install -m644 models/* $(DESTDIR)$(DATADIR)/models/
	# The example config becomes the live one only if there is none: never clobber an operator's.
	test -e $(DESTDIR)$(SYSCONFDIR)/flukewatch/flukewatch.toml || \
		install -Dm644 configs/flukewatch.toml $(DESTDIR)$(SYSCONFDIR)/flukewatch/flukewatch.toml

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/flukewatch $(DESTDIR)$(UNITDIR)/flukewatch.service \
		$(DESTDIR)$(LIBDIR)/sysusers.d/flukewatch.conf $(DESTDIR)$(LIBDIR)/tmpfiles.d/flukewatch.conf \
		$(DESTDIR)$(LIBDIR)/systemd/catalog/flukewatch.catalog
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

deb:
	bash scripts/build-deb.sh

clean:
	rm -rf $(BUILD_DIR) dist
