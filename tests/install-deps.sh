#!/bin/sh
# Installs the Debian packages named on the command line that are missing,
# with apt-get, as root or through sudo. Used by `make deps`, `make demo`
# and `make check`: when every package is there it is one dpkg-query and
# no apt at all. Without dpkg (not Debian) it only says what it would need.
set -e
if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: no dpkg-query here; install these yourself: $*"
	exit 0
fi
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" \
	2>/dev/null | sed -n 's/^ii  *//p')
missing=
for pkg in "$@"; do
	case " $(echo $installed) " in
	*" $pkg "*) ;;
	*) missing="$missing $pkg" ;;
	esac
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi
echo "deps: installing$missing"
if [ "$(id -u)" = 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	echo "deps: need root or sudo to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
