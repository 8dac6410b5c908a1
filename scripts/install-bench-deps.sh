#!/usr/bin/env bash
# Reference programs the benchmarks measure seedbucket against in the same run (not needed by the tests).
set -euo pipefail
bash "$(dirname "$0")/install-test-deps.sh"
PACKAGES=(wrk opentracker qbittorrent-nox)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
SUDO=(); [ "$(id -u)" -ne 0 ] && SUDO=(sudo -n)
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
