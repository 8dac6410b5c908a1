#!/usr/bin/env bash
# What `npm test` runs: typecheck, then every test file through node:test with tsx.
#   TEST_FILES="test/s3/core.test.ts test/crash/kill9.test.ts" npm test   # run a subset
#   SKIP_TYPECHECK=1 npm test                                             # skip tsc
# Exits non-zero if the typecheck or any test fails. Node's default reporter (TAP when not on a
# TTY, spec on a TTY) closes with `# pass N` / `# fail N` lines, which CI reads.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${SKIP_TYPECHECK:-}" != "1" ]; then
  echo "== typecheck: tsc --noEmit -p ."
  npx --no-install tsc --noEmit -p .
fi

files=()
if [ -n "${TEST_FILES:-}" ]; then
  read -r -a files <<<"$TEST_FILES"
  for f in "${files[@]}"; do
    if [ ! -f "$f" ]; then echo "test.sh: no such test file: $f" >&2; exit 2; fi
  done
else
  # Node 20's --test does not find .ts files by itself: pass the list explicitly.
  while IFS= read -r f; do files+=("$f"); done < <(find test -name '*.test.ts' -type f | LC_ALL=C sort)
fi
if [ "${#files[@]}" -eq 0 ]; then echo "test.sh: no test files found" >&2; exit 2; fi

echo "== node --test (${#files[@]} files, concurrency ${TEST_CONCURRENCY:-2})"
# --test-timeout bounds every single test (ms); --test-force-exit stops a file whose test left a handle open.
rc=0
node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" \
  --test-timeout="${TEST_TIMEOUT_MS:-900000}" --test-force-exit "${files[@]}" || rc=$?
if [ "$rc" -ne 0 ]; then
  # A failing before/after hook shows up as `# cancelled`, not `# fail`: the exit code covers both.
  echo "test.sh: FAILED (node --test exit $rc): see the 'not ok' lines above (# fail and # cancelled both count)" >&2
fi
exit "$rc"
