#!/usr/bin/env bash
# Builds the Debian package rentguard_<version>_<arch>.deb: rentguardd and rentguardctl from
# a release build (Swift runtime linked statically, so the gateway needs no Swift), the
# systemd unit, an example configuration, the docs, and maintainer scripts that create the
# `rentguard` system user, enable the service and clean up on purge.
#
#   scripts/build-deb.sh                         # build (several minutes) and package
#   sudo apt install ./rentguard_0.1.0_amd64.deb
#
# Options:
#   --version V          package version (default: RentGuardVersion.current in the sources)
#   --out DIR            where the .deb goes (default: the current directory)
#   --skip-build         package the binaries already in --bin-dir
#   --bin-dir DIR        the built binaries (default: swift build -c release --show-bin-path)
#   --scratch-path DIR   SwiftPM build directory (default .build); a separate one keeps a long
#                        release build from holding the lock of a shared .build
#   --stage-only DIR     stop after staging the package tree (with DEBIAN/) into DIR
#   --no-strip           keep symbols and debug information in the binaries
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
version=""
out="$(pwd)"
build=yes
bindir=""
scratch=()
stage_only=""
strip_binaries=yes

die() { echo "build-deb.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --version) version="${2:?}"; shift 2 ;;
        --out) out="${2:?}"; shift 2 ;;
        --skip-build) build=no; shift ;;
        --bin-dir) bindir="${2:?}"; shift 2 ;;
        --scratch-path) scratch=(--scratch-path "${2:?}"); shift 2 ;;
        --stage-only) stage_only="${2:?}"; shift 2 ;;
        --no-strip) strip_binaries=no; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

if [ -z "$version" ]; then
    version="$(sed -n 's/.*static let current = "\([^"]*\)".*/\1/p' "$here/Sources/RentGuardDaemon/Daemon.swift" | head -n 1)"
    [ -n "$version" ] || die "cannot find the version in Sources/RentGuardDaemon/Daemon.swift: pass --version"
fi
arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"

cd "$here"
if [ "$build" = yes ]; then
    for product in rentguardd rentguardctl; do
        echo "==> swift build -c release --static-swift-stdlib --product $product"
        swift build -c release --static-swift-stdlib "${scratch[@]}" --product "$product"
    done
fi
[ -n "$bindir" ] || bindir="$(swift build -c release "${scratch[@]}" --show-bin-path)"
for b in rentguardd rentguardctl; do
    [ -x "$bindir/$b" ] || die "$bindir/$b not found (build first, or pass --bin-dir)"
done

if [ -n "$stage_only" ]; then
    stage="$stage_only"
    rm -rf "$stage"
    mkdir -p "$stage"
else
    stage="$(mktemp -d)"
    trap 'rm -rf "$stage"' EXIT
fi

# The tree, exactly as scripts/install.sh lays it out (no user, no systemctl: postinst does that).
scripts/install.sh --destdir "$stage" --prefix /usr --bin-dir "$bindir" --no-user --no-systemctl >/dev/null
# Runtime directories are made by postinst (and by systemd's StateDirectory=), owned by the user.
rm -rf "$stage/var"
if [ "$strip_binaries" = yes ] && command -v strip >/dev/null; then
    # Gateways have little flash: strip everything (about 160 MB -> 80 MB for rentguardd). The
    # unstripped binaries stay in --bin-dir, to symbolicate a crash address offline.
    for b in rentguardd rentguardctl; do
        if [ "$(head -c 4 "$stage/usr/bin/$b" | od -An -c | tr -d ' ')" = '177ELF' ]; then
            strip "$stage/usr/bin/$b"
        fi
    done
fi

# Depends: the mandated libraries, plus the package of every shared library the binaries need.
depends="adduser, libmosquitto1, libsqlite3-0, libssl3"
if command -v objdump >/dev/null; then
    for lib in $(objdump -p "$stage/usr/bin/rentguardd" "$stage/usr/bin/rentguardctl" | awk '/NEEDED/ {print $2}' | sort -u); do
        # (awk and head stop reading early: the writer's SIGPIPE is not an error here.)
        path="$(ldconfig -p | awk -v l="$lib" '$1 == l {print $NF}' | head -n 1)" || true
        [ -n "$path" ] || continue
        pkg="$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n 1 | cut -d: -f1)" || true
        [ -n "$pkg" ] || pkg="$(dpkg -S "$path" 2>/dev/null | head -n 1 | cut -d: -f1)" || true
        [ -n "$pkg" ] || continue
        case ", $depends, " in *", $pkg, "*) ;; *) depends="$depends, $pkg" ;; esac
    done
fi

mkdir -p "$stage/DEBIAN"
installed_size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
cat > "$stage/DEBIAN/control" <<EOF
Package: rentguard
Version: $version
Section: misc
Priority: optional
Architecture: $arch
Maintainer: RentGuard maintainers <rentguard@localhost>
Installed-Size: $installed_size
Depends: $depends
Description: building-safety gateway for dense rental blocks
 rentguardd listens to a building's smoke detectors, e-bike charging stations
 and smart meters over MQTT, detects fire, charger faults, abnormal load and
 overcrowding, keeps its state in SQLite and forwards every alarm to the
 central registry and to landlords. rentguardctl shows and acknowledges
 alarms on the gateway. Runs under systemd (rentguardd.service).
EOF

echo "/etc/rentguard/rentguard.yaml.example" > "$stage/DEBIAN/conffiles"

cat > "$stage/DEBIAN/postinst" <<'EOF'
#!/bin/sh
# rentguard postinst: the service user, its directories, and the unit.
set -e
if [ "$1" = configure ]; then
    install -d -m 0700 /var/lib/rentguard
    if ! getent passwd rentguard >/dev/null; then
        adduser --system --group --home /var/lib/rentguard --no-create-home \
            --gecos "RentGuard gateway daemon" rentguard >/dev/null
    fi
    chown rentguard:rentguard /var/lib/rentguard
    install -d -m 0700 -o root -g root /etc/rentguard/credentials
    if command -v deb-systemd-helper >/dev/null; then
        deb-systemd-helper unmask rentguardd.service >/dev/null || true
        if deb-systemd-helper --quiet was-enabled rentguardd.service; then
            deb-systemd-helper enable rentguardd.service >/dev/null || true
        else
            deb-systemd-helper update-state rentguardd.service >/dev/null || true
            # Enabled on first install; it starts once /etc/rentguard/rentguard.yaml exists.
            [ -n "$2" ] || deb-systemd-helper enable rentguardd.service >/dev/null || true
        fi
    fi
    if [ -d /run/systemd/system ]; then
        systemctl --system daemon-reload >/dev/null || true
        if [ -n "$2" ]; then
            systemctl try-restart rentguardd.service >/dev/null || true
        else
            systemctl start rentguardd.service >/dev/null || true
        fi
    fi
    if [ ! -f /etc/rentguard/rentguard.yaml ]; then
        echo "rentguard: write /etc/rentguard/rentguard.yaml (see rentguard.yaml.example), then: systemctl start rentguardd"
    fi
fi
exit 0
EOF

cat > "$stage/DEBIAN/prerm" <<'EOF'
#!/bin/sh
# rentguard prerm: stop the daemon when the package goes (not on upgrade: postinst restarts it).
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
    systemctl stop rentguardd.service >/dev/null || true
fi
exit 0
EOF

cat > "$stage/DEBIAN/postrm" <<'EOF'
#!/bin/sh
# rentguard postrm: forget the unit; on purge also the data, configuration, secrets and user.
set -e
if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
fi
case "$1" in
    remove)
        if command -v deb-systemd-helper >/dev/null; then
            deb-systemd-helper mask rentguardd.service >/dev/null || true
        fi
        ;;
    purge)
        if command -v deb-systemd-helper >/dev/null; then
            deb-systemd-helper purge rentguardd.service >/dev/null || true
            deb-systemd-helper unmask rentguardd.service >/dev/null || true
        fi
        rm -rf /var/lib/rentguard /var/lib/private/rentguard
        rm -rf /etc/rentguard
        if getent passwd rentguard >/dev/null; then
            deluser --system rentguard >/dev/null 2>&1 || userdel rentguard >/dev/null 2>&1 || true
        fi
        if getent group rentguard >/dev/null; then
            delgroup --system rentguard >/dev/null 2>&1 || groupdel rentguard >/dev/null 2>&1 || true
        fi
        ;;
esac
exit 0
EOF
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"

if [ -n "$stage_only" ]; then
    echo "staged rentguard $version ($arch) in $stage"
    exit 0
fi

mkdir -p "$out"
deb="$out/rentguard_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "built $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
