#!/usr/bin/env bash
# sqlmap (Debian package) against the patient search endpoints of a throwaway Clarus with a valid
# Administrator session, then the hand-made probes of probe-patients.sh. Loopback only.
#   apt-get install -y --no-install-recommends sqlmap
#   bash scripts/security/sqlmap-patients.sh
# Environment: SQLMAP_TIMEOUT (seconds per sqlmap run, default 600), SKIP_SQLMAP=1, SKIP_PROBES=1,
# CONTROL=0 (no positive-control run against the deliberately injectable route).
# Everything goes to .test-run/sqlmap/ (sqlmap's own output, console logs, probes.txt, target.log).
# Exit status: 0 when sqlmap found no injection point in Clarus, did find the one in the control
# route, and no probe failed; 1 otherwise.
set -uo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
export PATH="$ROOT/node_modules/.bin:$PATH"
OUT="$ROOT/.test-run/sqlmap"
TIMEOUT=${SQLMAP_TIMEOUT:-600}
rm -rf "$OUT" && mkdir -p "$OUT"

if [ "${SKIP_SQLMAP:-0}" != 1 ] && ! command -v sqlmap >/dev/null; then
  echo "sqlmap is not installed: apt-get install -y --no-install-recommends sqlmap" >&2
  exit 2
fi

# 1. The target: embedded PostgreSQL + Clarus on 127.0.0.1, one JSON line {url, cookie, csrfToken}.
# The target also serves a deliberately injectable control route (see start-target.ts), unless CONTROL=0.
CLARUS_SECURITY_CONTROL_ROUTE=${CONTROL:-1} node --import tsx scripts/security/start-target.ts >"$OUT/target.json" 2>"$OUT/target.log" &
TARGET_PID=$!
stop_target() {
  if kill -0 "$TARGET_PID" 2>/dev/null; then
    kill -TERM "$TARGET_PID"
    wait "$TARGET_PID" 2>/dev/null
  fi
}
trap stop_target EXIT
for _ in $(seq 1 180); do
  [ -s "$OUT/target.json" ] && break
  kill -0 "$TARGET_PID" 2>/dev/null || { echo "the target did not start:" >&2; cat "$OUT/target.log" >&2; exit 2; }
  sleep 1
done
[ -s "$OUT/target.json" ] || { echo "the target did not start within 180 s" >&2; cat "$OUT/target.log" >&2; exit 2; }
field() { node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]])' "$OUT/target.json" "$1"; }
URL=$(field url)
COOKIE=$(field cookie)
TOKEN=$(field csrfToken)
case "$URL" in http://127.0.0.1:*) ;; *) echo "unexpected target $URL" >&2; exit 2 ;; esac
echo "target: $URL ($(date -u +%Y-%m-%dT%H:%M:%SZ))"

FOUND=0
# The sqlmap lines that carry its verdict (or warn that it could not test).
verdict() {
  grep -A1 -E "does not seem to be injectable|do not appear to be injectable|appears to be .*injectable|might be injectable|identified the following injection point|is vulnerable|HTTP error codes|CRITICAL|ERROR|connection (timed out|refused)" "$1" \
    | grep -vE "^--$|you can find results|are you sure|might not be injectable|\] \[INFO\] testing "
}
run_sqlmap() { # NAME EXTRA-HEADER-LINES sqlmap-arguments...
  local name=$1 extra=$2; shift 2
  echo
  echo "== sqlmap: $name"
  local start=$SECONDS
  rm -f "$OUT/$name.traffic.log"
  timeout --signal=INT --kill-after=30 "$TIMEOUT" sqlmap "$@" \
    --headers="Cookie: $COOKIE"$'\n'"x-csrf-token: $TOKEN$extra" \
    --level 3 --risk 2 --batch --dbms=PostgreSQL --flush-session --time-sec=2 \
    --drop-set-cookie --disable-coloring --output-dir="$OUT" -t "$OUT/$name.traffic.log" >"$OUT/$name.console.log" 2>&1
  local rc=$?
  HIT=0
  echo "exit $rc after $((SECONDS - start)) s$([ $rc = 124 ] && echo ' (TIMED OUT: inconclusive)')"
  verdict "$OUT/$name.console.log"
  # How many requests passed validation, i.e. reached PostgreSQL with sqlmap's payload (HTTP 200).
  echo "responses (count status): $(grep -oE '^HTTP response \[#[0-9]+\] \([0-9]{3}' "$OUT/$name.traffic.log" | grep -oE '[0-9]{3}$' | sort | uniq -c | tr -s ' \n' ' ')"
  if grep -E "identified the following injection point|is vulnerable|appears to be .*injectable|might be injectable" "$OUT/$name.console.log" | grep -qv "do not appear"; then HIT=1; fi
  [ $rc = 124 ] && HIT=1
  # The session must still be valid after the scan, or the scan tested a login wall.
  local after
  after=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$URL/api/patients?name=Ada")
  echo "session still valid after the scan: GET /api/patients?name=Ada -> $after"
  [ "$after" = 200 ] || HIT=1
  case $name in CONTROL-*) ;; *) [ "$HIT" = 1 ] && FOUND=1 ;; esac
}

if [ "${SKIP_SQLMAP:-0}" != 1 ]; then
  JSON=$'\nContent-Type: application/json'
  CONTROL_OK=1
  if [ "${CONTROL:-1}" = 1 ]; then
    # Positive control: the same options and session must find the injection in the control route.
    run_sqlmap CONTROL-injectable-route '' -u "$URL/api/security-control/patients?mrn=MRN-1"
    [ "$HIT" = 1 ] || { CONTROL_OK=0; echo "CONTROL FAILED: sqlmap did not find the deliberate injection"; }
  fi
  run_sqlmap get-patients '' -u "$URL/api/patients?name=Ada&mrn=MRN-1"
  run_sqlmap post-patients-search "$JSON" -u "$URL/api/patients/search" --method=POST --data='{"name":"Ada","mrn":"MRN-1"}'
  # Most payloads carry spaces, which the MRN format refuses (400) before any SQL runs. space2comment
  # turns spaces into /**/ so that the payloads pass validation and do reach PostgreSQL.
  run_sqlmap get-patients-space2comment '' -u "$URL/api/patients?name=Ada&mrn=MRN-1" -p mrn --tamper=space2comment
  run_sqlmap post-patients-search-space2comment "$JSON" -u "$URL/api/patients/search" --method=POST --data='{"name":"Ada","mrn":"MRN-1"}' -p mrn --tamper=space2comment
fi

PROBES=0
if [ "${SKIP_PROBES:-0}" != 1 ]; then
  echo
  echo "== manual probes (scripts/security/probe-patients.sh)"
  bash scripts/security/probe-patients.sh "$URL" "$COOKIE" "$TOKEN" | tee "$OUT/probes.txt"
  PROBES=${PIPESTATUS[0]}
fi

echo
stop_target
grep -E '^\[target\] (server errors|  )' "$OUT/target.log"
grep -q '^\[target\] server errors logged: 0$' "$OUT/target.log" || PROBES=1
[ "$FOUND" = 0 ] && [ "$PROBES" = 0 ] && [ "${CONTROL_OK:-1}" = 1 ] && { echo "RESULT: no injection found in Clarus, no probe failed"; exit 0; }
echo "RESULT: FOUND=$FOUND PROBES=$PROBES CONTROL_OK=${CONTROL_OK:-1} — read $OUT/*.console.log and $OUT/probes.txt"
exit 1
