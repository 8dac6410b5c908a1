#!/usr/bin/env bash
# Debian packages the test suite drives (real S3 and BitTorrent clients). The one list of them:
# .ci/run calls this script; developers can run it too (as root, or with sudo available).
set -euo pipefail

PACKAGES=(
  awscli             # aws CLI 2.9.x: test/clients/awscli.test.ts
  python3-boto3      # boto3 1.26.x for Debian's /usr/bin/python3: test/clients/boto3.test.ts
  python3-libtorrent # libtorrent 2.0 bindings: torrent oracle and client tests
  transmission-cli   # transmission-cli / -create / -show 3.00
  aria2              # aria2c 1.36: web seed and swarm tests
  qbittorrent-nox    # qBittorrent 4.5 (WebUI API): test/swarm/seeder-only.test.ts
  iproute2           # `ip netns` / veth test host for Transmission: test/swarm/tracker-swarm.test.ts (needs root)
  postgresql-15      # PostgreSQL metadata store (--meta postgres://): private clusters started by the tests
  redis-server       # Redis swarm store (--swarm redis://): private servers started by the tests
  ceph-mon ceph-osd radosgw ceph-common uuid-runtime  # single-node Ceph RGW, the S3 cluster behind --store s3://
  chromium           # headless browser for the web console tests (driven by playwright-core)
  mktorrent          # reference torrent hasher for benchmarks
  # `npm ci` builds better-sqlite3 from source (prebuilds come from GitHub, which CI cannot reach)
  g++ make python3 ca-certificates
)

SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo -n); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then missing+=("$p"); fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-test-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "install-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [ "${SKIP_APT_UPDATE:-}" != "1" ]; then "${SUDO[@]}" apt-get update; fi
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
