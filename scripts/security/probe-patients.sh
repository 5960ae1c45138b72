#!/usr/bin/env bash
# Hand-made probes of the patient endpoints with curl: SQL meta-characters, unicode escapes, NUL
# bytes, long strings, wrong types, duplicate keys and prototype-pollution keys. Loopback targets only.
# Usage: bash scripts/security/probe-patients.sh URL COOKIE CSRF_TOKEN
#   (sqlmap-patients.sh runs it against the target it starts; the three values are its JSON line).
# Prints one line per probe: label, HTTP status, seconds, patients in the reply, error code.
# Exits 1 if any probe got a 5xx, took over 2 s, or /health stopped answering 200.
set -uo pipefail

URL=${1:?URL}
COOKIE=${2:?cookie header}
TOKEN=${3:?csrf token}
case "$URL" in
  http://127.*|http://localhost*|http://\[::1\]*) ;;
  *) echo "refusing a non-loopback target: $URL" >&2; exit 2 ;;
esac

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAIL=0

# probe LABEL METHOD PATH [BODY-FILE] [CONTENT-TYPE] [EXPECTED-COUNT]
probe() {
  local label=$1 method=$2 path=$3 body=${4:-} ctype=${5:-application/json} expect=${6:-}
  local args=(-s -g -o "$TMP/reply" -w '%{http_code} %{time_total}' -X "$method" -H "Cookie: $COOKIE" --max-time 20)
  if [ "$method" != GET ]; then args+=(-H "x-csrf-token: $TOKEN" -H "content-type: $ctype" --data-binary "@$body"); fi
  local out status secs count code
  out=$(curl "${args[@]}" "$URL$path") || out="000 0"
  status=${out%% *}
  secs=${out##* }
  count=$(grep -o '"mrn":' "$TMP/reply" 2>/dev/null | wc -l)
  code=$(grep -o '"code":"[A-Z_]*"' "$TMP/reply" 2>/dev/null | head -1 | cut -d'"' -f4)
  local flag=''
  if [ "$status" = 000 ] || [ "${status:0:1}" = 5 ]; then flag=' <-- SERVER ERROR'; FAIL=1; fi
  if awk -v s="$secs" 'BEGIN { exit !(s > 2) }'; then flag="$flag <-- SLOW"; FAIL=1; fi
  if [ -n "$expect" ] && [ "$status" = 200 ] && [ "$count" != "$expect" ]; then flag="$flag <-- expected $expect patient(s)"; FAIL=1; fi
  printf '%-58s %s %6.3fs patients=%-2s %s%s\n' "$label" "$status" "$secs" "$count" "${code:--}" "$flag"
}

# body NAME CONTENT: writes a request body file (printf: \\uXXXX stays a JSON escape) and echoes its path.
body() {
  printf '%s' "$2" >"$TMP/$1"
  echo "$TMP/$1"
}

health() {
  local s
  s=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/health") || s=000
  printf '%-58s %s\n' "/health" "$s"
  [ "$s" = 200 ] || FAIL=1
}

S=/api/patients/search
echo "== POST $S"
probe 'baseline {"name":"Ada","mrn":"MRN-1"}' POST $S "$(body b1 '{"name":"Ada","mrn":"MRN-1"}')" application/json 1
probe 'name: Ada'"'"' OR '"'"'1'"'"'='"'"'1' POST $S "$(body b2 "{\"name\":\"Ada' OR '1'='1\"}")"
probe 'name: Ada'"'"' --  (passes validation)' POST $S "$(body b3 "{\"name\":\"Ada' -- \"}")" application/json 0
probe 'name: O'"'"'  (prefix of O'"'"'Brien, literal quote)' POST $S "$(body b4 "{\"name\":\"O'\"}")" application/json 1
probe 'mrn: MRN-1'"'"'OR'"'"'1'"'"'='"'"'1  (passes validation)' POST $S "$(body b5 "{\"mrn\":\"MRN-1'OR'1'='1\"}")" application/json 0
probe 'mrn: x'"'"';SELECT/**/pg_sleep(5)--' POST $S "$(body b6 "{\"mrn\":\"x';SELECT/**/pg_sleep(5)--\"}")" application/json 0
probe 'mrn: x'"'"')/**/OR/**/(SELECT/**/1)=1--' POST $S "$(body b7 "{\"mrn\":\"x')/**/OR/**/(SELECT/**/1)=1--\"}")" application/json 0
probe 'mrn: "%" (no wildcard on exact match)' POST $S "$(body b8 '{"mrn":"%"}')" application/json 0
probe 'mrn: backslash MRN\\' POST $S "$(body b9 '{"mrn":"MRN\\"}')" application/json 0
probe 'name: "%" (LIKE wildcard)' POST $S "$(body b10 '{"name":"%"}')"
probe 'name: "_" (LIKE wildcard)' POST $S "$(body b10b '{"name":"_"}')"
probe 'name: \u0041\u0064\u0061 (unicode escapes = Ada)' POST $S "$(body b11 '{"name":"\u0041\u0064\u0061"}')" application/json 2
probe 'name: \u0027 OR 1 (escaped quote)' POST $S "$(body b12 '{"name":"\u0027 OR 1"}')"
probe 'name: lone surrogate \ud800' POST $S "$(body b13 '{"name":"\ud800"}')"
probe 'name: Ada\u0000' POST $S "$(body b14 '{"name":"Ada\u0000"}')"
probe 'mrn: MRN-1\u0000' POST $S "$(body b15 '{"mrn":"MRN-1\u0000"}')"
printf '{"mrn":"MRN-1\0"}' >"$TMP/b16"
probe 'mrn: raw NUL byte in the body' POST $S "$TMP/b16"
probe 'name: 100 letters (max)' POST $S "$(body b17 "{\"name\":\"$(printf 'A%.0s' $(seq 100))\"}")" application/json 0
probe 'name: 101 letters' POST $S "$(body b18 "{\"name\":\"$(printf 'A%.0s' $(seq 101))\"}")"
head -c 900000 /dev/zero | tr '\0' A >"$TMP/long"
{ printf '{"name":"'; cat "$TMP/long"; printf '"}'; } >"$TMP/b19"
probe 'name: 900 000 letters' POST $S "$TMP/b19"
{ printf '{"name":"'; cat "$TMP/long" "$TMP/long"; printf '"}'; } >"$TMP/b20"
probe 'name: 1.8 MB body (over the 1 MiB limit)' POST $S "$TMP/b20"
probe 'name: {"$ne":null} (object)' POST $S "$(body b21 '{"name":{"$ne":null}}')"
probe 'name: ["Ada"] (array)' POST $S "$(body b22 '{"name":["Ada"]}')"
probe 'mrn: {"toString":"x"}' POST $S "$(body b23 '{"mrn":{"toString":"x"}}')"
probe 'mrn: 12345 (number)' POST $S "$(body b24 '{"mrn":12345}')"
probe 'mrn: null' POST $S "$(body b25 '{"mrn":null}')"
probe 'limit: "1;select 1" ' POST $S "$(body b26 '{"limit":"1;select 1"}')"
probe 'limit: [5] (array coerced)' POST $S "$(body b27 '{"limit":[5]}')"
probe 'limit: 1e9' POST $S "$(body b28 '{"limit":1e9}')"
probe 'offset: -1' POST $S "$(body b29 '{"offset":-1}')"
probe 'duplicate keys {"mrn":"MRN-2","mrn":"MRN-1"}' POST $S "$(body b30 '{"mrn":"MRN-2","mrn":"MRN-1"}')" application/json 1
probe '{"__proto__":{"mrn":"MRN-1"}}' POST $S "$(body b31 '{"__proto__":{"mrn":"MRN-1"}}')"
probe '{"constructor":{"prototype":{"mrn":"MRN-1"}}}' POST $S "$(body b32 '{"constructor":{"prototype":{"mrn":"MRN-1"}}}')"
probe '{"name":"Ada","__proto__":{"isAdmin":true}}' POST $S "$(body b33 '{"name":"Ada","__proto__":{"isAdmin":true}}')"
probe 'unknown key {"name":"Ada","role":"x"}' POST $S "$(body b34 '{"name":"Ada","role":"x"}')"
probe 'deeply nested arrays (100 000 levels)' POST $S "$(body b35 "{\"name\":$(printf '[%.0s' $(seq 100000))$(printf ']%.0s' $(seq 100000))}")"
probe 'malformed JSON {"name":' POST $S "$(body b36 '{"name":')"
probe 'text/plain body' POST $S "$(body b37 'name=Ada')" text/plain
probe 'application/x-www-form-urlencoded' POST $S "$(body b38 "name=Ada'--")" application/x-www-form-urlencoded
health

echo "== GET /api/patients"
probe 'baseline ?name=Ada&mrn=MRN-1' GET '/api/patients?name=Ada&mrn=MRN-1' '' '' 1
probe "?name=Ada'%20OR%20'1'='1" GET "/api/patients?name=Ada'%20OR%20'1'%3D'1"
probe "?mrn=MRN-1'OR'1'='1" GET "/api/patients?mrn=MRN-1'OR'1'%3D'1" '' '' 0
probe '?mrn=%00' GET '/api/patients?mrn=%00'
probe '?name=Ada%00' GET '/api/patients?name=Ada%00'
probe '?name=Ada&name=Bob (repeated)' GET '/api/patients?name=Ada&name=Bob'
probe '?name[]=Ada' GET '/api/patients?name[]=Ada'
probe '?name[$ne]=x' GET '/api/patients?name[$ne]=x'
probe '?__proto__[mrn]=MRN-1' GET '/api/patients?__proto__[mrn]=MRN-1'
probe '?__proto__=x' GET '/api/patients?__proto__=x'
probe '?constructor=x' GET '/api/patients?constructor=x'
probe '?limit=0x10 (hex coerced)' GET '/api/patients?limit=0x10'
probe '?limit=1%3Bselect%201' GET '/api/patients?limit=1%3Bselect%201'
probe "?name=<5000 letters>" GET "/api/patients?name=$(printf 'A%.0s' $(seq 5000))"
health

echo "== POST /api/patients"
P=/api/patients
valid() { # valid MRN-SUFFIX EXTRA-JSON: a valid patient body with extra fields merged in
  echo "{\"mrn\":\"PRB-$1\",\"givenName\":\"Ada\",\"familyName\":\"Probe\",\"birthDate\":\"1985-12-10\",\"sex\":\"female\"$2}"
}
probe 'valid body (control)' POST $P "$(body c1 "$(valid 1 '')")"
probe "familyName: Robert'); DROP TABLE patients;--" POST $P "$(body c2 "$(valid 2 ",\"familyName\":\"Robert'); DROP TABLE patients;--\"")")"
probe "familyName: O'Brien' -- (passes validation)" POST $P "$(body c3 "$(valid 3 ",\"familyName\":\"O'Brien' -- \"")")"
probe "address: x'); DELETE FROM patients;-- (stored as text)" POST $P "$(body c4 "$(valid 4 ",\"address\":\"x'); DELETE FROM patients;--\"")")"
probe "mrn: PRB-5'||pg_sleep(5)||' (org MRN format refuses)" POST $P "$(body c5 "{\"mrn\":\"PRB-5'||pg_sleep(5)||'\",\"givenName\":\"Ada\",\"familyName\":\"Probe\",\"birthDate\":\"1985-12-10\",\"sex\":\"female\"}")"
probe 'address: \u0000' POST $P "$(body c6 "$(valid 6 ',"address":"a\u0000b"')")"
probe 'address: lone surrogate \ud800' POST $P "$(body c7 "$(valid 7 ',"address":"a\ud800b"')")"
probe 'address: 501 characters' POST $P "$(body c8 "$(valid 8 ",\"address\":\"$(printf 'a%.0s' $(seq 501))\"")")"
probe 'givenName: {"$gt":""} (object)' POST $P "$(body c9 "$(valid 9 ',"givenName":{"$gt":""}')")"
probe 'sex: ["female"] (array)' POST $P "$(body c10 "$(valid 10 ',"sex":["female"]')")"
probe "email: a'--@example.org" POST $P "$(body c11 "$(valid 11 ",\"email\":\"a'--@example.org\"")")"
probe 'duplicate mrn keys (last one wins: PRB-12X)' POST $P "$(body c12 "$(valid 12 ',"mrn":"PRB-12X"')")"
probe '__proto__ key in a valid body' POST $P "$(body c13 "$(valid 13 ',"__proto__":{"tenant_id":"x"}')")"
probe 'constructor.prototype key in a valid body' POST $P "$(body c14 "$(valid 14 ',"constructor":{"prototype":{"x":1}}')")"
probe 'extra key tenant_id' POST $P "$(body c15 "$(valid 15 ',"tenant_id":"00000000-0000-0000-0000-000000000000"')")"
health
echo "== after the probes"
probe 'search all (limit 100): control count' POST $S "$(body z1 '{"limit":100}')"
health
exit $FAIL
