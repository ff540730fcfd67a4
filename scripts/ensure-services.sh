#!/usr/bin/env bash
# Make sure the programs the test suite starts for itself are installed.
#
# The Redis tests start their own redis-server processes (single, password-
# protected, a 3-master cluster) on free loopback ports and stop them
# afterwards; they need the redis-server and redis-cli binaries.  This script
# installs Debian's redis-server package (which brings redis-tools) when they
# are missing and we can (root + apt-get); otherwise it says what to install.
set -euo pipefail

# openssl (optional) lets the TLS test make a self-signed certificate; without
# it that one test is skipped, with its reason.
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1 && ! command -v openssl >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q openssl >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q openssl >/dev/null 2>&1; } \
        || echo "ensure-services: could not install openssl; the Redis TLS test will be skipped" >&2
fi

if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    exit 0
fi

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-services: installing redis-server (Debian package)" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q redis-server >/dev/null; then
        apt-get update -q >/dev/null
        apt-get install -y -q redis-server >/dev/null
    fi
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null && exit 0
fi

echo "ensure-services: redis-server and redis-cli are needed by the Redis tests;" \
     "install them (Debian/Ubuntu: apt-get install redis-server) and rerun" >&2
exit 1
