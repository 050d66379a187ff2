#!/usr/bin/env bash
# Installs (or uninstalls) RentGuard on a gateway from a release build, in FHS places:
#
#   $PREFIX/bin/rentguardd, $PREFIX/bin/rentguardctl        the daemon and the operator's tool
#   /lib/systemd/system/rentguardd.service                   the unit (/etc/systemd/system for
#                                                            a prefix other than /usr)
#   /etc/rentguard/rentguard.yaml.example                    an example configuration
#   /etc/rentguard/credentials/                              secrets (root only, mode 0700)
#   /var/lib/rentguard/                                      the database (created by systemd)
#   $PREFIX/share/doc/rentguard/                             operations and configuration docs
#
# and the `rentguard` system user the unit runs as. It never overwrites
# /etc/rentguard/rentguard.yaml nor anything in /etc/rentguard/credentials, so running it
# again (an upgrade) is safe.
#
# Usage:
#   swift build -c release --static-swift-stdlib --product rentguardd
#   swift build -c release --static-swift-stdlib --product rentguardctl
#   sudo scripts/install.sh                      # install to /usr
#   sudo scripts/install.sh --prefix /usr/local  # binaries in /usr/local/bin
#   scripts/install.sh --destdir /tmp/stage      # stage into a scratch root (also: DESTDIR=...)
#   sudo scripts/install.sh --uninstall          # remove; keeps configuration, secrets and data
#   sudo scripts/install.sh --uninstall --purge  # remove those too, and the rentguard user
#
# Options:
#   --prefix DIR     installation prefix (default /usr)
#   --destdir DIR    staging root, prepended to every path (default $DESTDIR)
#   --bin-dir DIR    where the built binaries are (default .build/release)
#   --no-user        do not create the rentguard user (packaging: the package's postinst does)
#   --no-systemctl   do not call systemctl (daemon-reload, stop/disable on uninstall)
#   --uninstall      remove what install put there
#   --purge          with --uninstall: also /etc/rentguard, /var/lib/rentguard and the user
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
prefix=/usr
destdir="${DESTDIR:-}"
bindir="$here/.build/release"
create_user=yes
use_systemctl=yes
action=install
purge=no

die() { echo "install.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --prefix=*) prefix="${1#*=}"; shift ;;
        --destdir) destdir="${2:?--destdir needs a directory}"; shift 2 ;;
        --destdir=*) destdir="${1#*=}"; shift ;;
        --bin-dir) bindir="${2:?--bin-dir needs a directory}"; shift 2 ;;
        --bin-dir=*) bindir="${1#*=}"; shift ;;
        --no-user) create_user=no; shift ;;
        --no-systemctl) use_systemctl=no; shift ;;
        --uninstall) action=uninstall; shift ;;
        --purge) purge=yes; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

case "$prefix" in /*) ;; *) die "--prefix must be absolute: $prefix" ;; esac
prefix="${prefix%/}"
[ -n "$prefix" ] || prefix=/usr
destdir="${destdir%/}"

if [ "$prefix" = /usr ]; then
    unitdir=/lib/systemd/system
else
    unitdir=/etc/systemd/system
fi
confdir=/etc/rentguard
statedir=/var/lib/rentguard
docdir="$prefix/share/doc/rentguard"

# Only touch the running system (users, systemctl) when installing to the real root.
live=no
if [ -z "$destdir" ]; then
    live=yes
    [ "$(id -u)" -eq 0 ] || die "installing to / needs root (sudo), or use --destdir"
fi
systemd_running() { [ "$use_systemctl" = yes ] && [ "$live" = yes ] && [ -d /run/systemd/system ]; }

if [ "$action" = uninstall ]; then
    if systemd_running; then
        systemctl disable --now rentguardd.service 2>/dev/null || true
    fi
    rm -f "$destdir$prefix/bin/rentguardd" "$destdir$prefix/bin/rentguardctl"
    rm -f "$destdir$unitdir/rentguardd.service"
    rm -f "$destdir$confdir/rentguard.yaml.example"
    rm -rf "$destdir$docdir"
    if [ "$purge" = yes ]; then
        rm -rf "$destdir$confdir" "$destdir$statedir" "$destdir/var/lib/private/rentguard"
        if [ "$live" = yes ] && getent passwd rentguard >/dev/null; then
            userdel rentguard 2>/dev/null || true
            getent group rentguard >/dev/null && groupdel rentguard 2>/dev/null || true
        fi
    else
        rmdir "$destdir$confdir/credentials" "$destdir$confdir" 2>/dev/null || true
    fi
    if systemd_running; then systemctl daemon-reload; fi
    echo "rentguard uninstalled from ${destdir:-/}$( [ "$purge" = yes ] && echo ' (purged)' || echo ' (configuration, secrets and data kept)')"
    exit 0
fi

for b in rentguardd rentguardctl; do
    [ -x "$bindir/$b" ] || die "$bindir/$b not found: build it first (swift build -c release --static-swift-stdlib --product $b)"
done

install -d -m 0755 "$destdir$prefix/bin" "$destdir$unitdir" "$destdir$docdir/examples"
install -m 0755 "$bindir/rentguardd" "$destdir$prefix/bin/rentguardd"
install -m 0755 "$bindir/rentguardctl" "$destdir$prefix/bin/rentguardctl"

# The unit, pointing at where the binary went.
tmpunit="$(mktemp)"
trap 'rm -f "$tmpunit"' EXIT
sed "s#/usr/bin/rentguardd#$prefix/bin/rentguardd#g" "$here/systemd/rentguardd.service" > "$tmpunit"
install -m 0644 "$tmpunit" "$destdir$unitdir/rentguardd.service"

# Configuration: an example next to where the real file goes; the real one is never touched.
install -d -m 0755 "$destdir$confdir"
install -d -m 0700 "$destdir$confdir/credentials"
install -m 0644 "$here/configs/example-block.yaml" "$destdir$confdir/rentguard.yaml.example"

# Documentation.
install -m 0644 "$here/docs/operations.md" "$destdir$docdir/operations.md"
[ -f "$here/docs/configuration.md" ] && install -m 0644 "$here/docs/configuration.md" "$destdir$docdir/configuration.md"
[ -f "$here/docs/detection.md" ] && install -m 0644 "$here/docs/detection.md" "$destdir$docdir/detection.md"
install -m 0644 "$here/configs/demo.yaml" "$here/configs/example-block.yaml" "$here/configs/mosquitto.conf" "$destdir$docdir/examples/"

# The service user and its state directory.
if [ "$live" = yes ] && [ "$create_user" = yes ]; then
    install -d -m 0700 "$statedir"
    if ! getent passwd rentguard >/dev/null; then
        if command -v adduser >/dev/null; then
            adduser --system --group --home "$statedir" --no-create-home --gecos "RentGuard gateway daemon" rentguard >/dev/null
        else
            useradd --system --user-group --home-dir "$statedir" --no-create-home --shell /usr/sbin/nologin rentguard
        fi
    fi
    install -d -m 0700 -o rentguard -g rentguard "$statedir"
else
    install -d -m 0700 "$destdir$statedir"
fi

if systemd_running; then systemctl daemon-reload; fi

echo "rentguard installed to ${destdir:-/} (prefix $prefix)"
if [ "$live" = yes ] && [ ! -f "$confdir/rentguard.yaml" ]; then
    cat <<EOF
Next:
  cp $confdir/rentguard.yaml.example $confdir/rentguard.yaml   # then edit it for the building
  rentguardd --check-config $confdir/rentguard.yaml
  systemctl enable --now rentguardd
EOF
fi
