#!/bin/sh
# Install everything needed to build, run and test smtpproxy on Debian 12
# (bookworm): compiler and autotools, the libraries found by pkg-config,
# Check for the unit tests, and the real peers and tools the integration
# tests and the benchmark drive (swaks, Postfix's smtp-sink/smtp-source,
# HAProxy, iptables and nftables, iproute2, setpriv, python3, openssl, zip,
# Perl's IO::Socket::INET6 for swaks over IPv6), Python's
# own email test messages (libpython3.11-testsuite, the corpus of the MIME
# differential test t/integration/57), and clang with its sanitizer and
# libFuzzer runtimes for the fuzz targets.
#
# Usage (as root, or as a user who may use sudo):
#     contrib/debian-deps.sh
#
# Idempotent: when every package is already installed it changes nothing and
# does not touch the network. It never starts a daemon: Postfix is preseeded
# to "No configuration" (only its smtp-sink and smtp-source test programs are
# used), and service starts are suppressed while packages are unpacked, so
# nothing is left listening on port 25 or anywhere else.

set -eu

PACKAGES="
	build-essential autoconf automake libtool pkg-config
	libevent-dev libssl-dev libconfuse-dev libclamav-dev check
	swaks postfix haproxy
	iptables nftables iproute2 util-linux procps libio-socket-inet6-perl
	python3 libpython3.11-testsuite openssl zip unzip mandoc clamav-testfiles
	libnet-ssleay-perl libio-socket-ssl-perl clamav-daemon clamsmtp
	clang libclang-rt-dev gcovr
"

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -- "$0" "$@"
	fi
	echo "debian-deps.sh: must run as root" >&2
	exit 1
fi

if [ ! -r /etc/debian_version ]; then
	echo "debian-deps.sh: this is not a Debian system" >&2
	exit 1
fi

# Which packages are missing? "install ok installed" is the only state that
# counts; half-installed or removed-but-configured packages are reinstalled.
missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	if [ "$status" != "install ok installed" ]; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "debian-deps.sh: all build, run and test dependencies are installed"
	exit 0
fi
echo "debian-deps.sh: installing:$missing"

export DEBIAN_FRONTEND=noninteractive
export DEBCONF_NONINTERACTIVE_SEEN=true

# Postfix is wanted for its test programs only. "No configuration" makes its
# postinst skip main.cf, so the mail system does not start.
if command -v debconf-set-selections >/dev/null 2>&1; then
	echo "postfix postfix/main_mailer_type select No configuration" |
		debconf-set-selections
fi

# Do not let maintainer scripts start services (the standard Debian
# mechanism, policy-rc.d exit 101 = "action forbidden"). An existing
# policy-rc.d is left as it is.
policy=/usr/sbin/policy-rc.d
own_policy=no
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# temporary, written by smtpproxy contrib/debian-deps.sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=yes
fi
cleanup() {
	if [ "$own_policy" = yes ]; then
		rm -f "$policy"
	fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

postfix_before=$(dpkg-query -W -f='${Status}' postfix 2>/dev/null || true)

apt-get update
# shellcheck disable=SC2086 # word splitting of the package list is wanted
apt-get install -y --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	$missing </dev/null

# Belt and braces: if this run installed Postfix and a master process is
# running anyway (policy-rc.d ignored, an init that does not consult it), stop
# it, so port 25 stays free for the transparent-mode tests and for the
# machine's own configuration.
if [ "$postfix_before" != "install ok installed" ] &&
	[ -x /usr/sbin/postfix ] &&
	/usr/sbin/postfix status >/dev/null 2>&1; then
	echo "debian-deps.sh: stopping the Postfix started by its installation"
	/usr/sbin/postfix stop >/dev/null 2>&1 || true
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl disable --now postfix >/dev/null 2>&1 || true
	fi
fi

# clamav-daemon and clamsmtp are installed for their binaries only: the
# tests and contrib/bench/bench-av.sh start their own clamd (and
# clamsmtpd) with a generated database. Their services (and freshclam,
# which would try to download signatures) are not wanted running.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	systemctl disable --now clamav-daemon.service clamav-daemon.socket \
	    clamav-freshclam.service clamsmtp.service >/dev/null 2>&1 || true
fi

for tool in /usr/sbin/smtp-sink /usr/sbin/smtp-source; do
	if [ ! -x "$tool" ]; then
		echo "debian-deps.sh: $tool is missing after installing postfix" >&2
		exit 1
	fi
done
echo "debian-deps.sh: done"
