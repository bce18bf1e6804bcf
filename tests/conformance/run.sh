#!/bin/sh
# run.sh - the conformance suite: gceb-emulator driven by Google's Compute v1
# Node client (npm @googleapis/compute). Nothing is skipped: without node or
# the package the suite fails, saying what to install.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null 2>&1; then
	echo "conformance: FAIL: node is not installed; run scripts/install-deps" >&2
	exit 1
fi
if [ ! -f "$dir/node_modules/@googleapis/compute/build/v1.d.ts" ]; then
	echo "conformance: FAIL: @googleapis/compute is not installed in $dir/node_modules;" \
		"run scripts/install-deps (npm ci in tests/conformance)" >&2
	exit 1
fi
if [ -z "${GCEB_EMULATOR:-}" ]; then
	echo "conformance: FAIL: GCEB_EMULATOR must name the gceb-emulator binary" >&2
	exit 1
fi
cd "$dir"
exec node --test --test-reporter=spec compute.test.js
