#!/usr/bin/env bash
# Veille's private PKI for the broker, with openssl only.
#
#   make-certs.sh -o DIR -H mqtt.example.org [-H 10.0.0.5 ...] [-d DAYS] NAME...
#
# In DIR (created, mode 0700) it makes, each only if it is not there yet:
#   ca.key ca.crt            the project CA (10 years); keep ca.key OFFLINE
#   broker.key broker.crt    the broker's server certificate for every -H name/IP
#   NAME.key NAME.crt        one client certificate per NAME, CN = NAME
# NAME is a gateway id (gw-0042) or a service account (collector, rules, web).
# With use_identity_as_username the CN is the MQTT username the ACL sees, so a
# gateway's certificate confines it to veille/v1/gw/<its id>/.
# Re-running issues only what is missing; to renew a client certificate,
# delete NAME.crt (keep or delete NAME.key) and run again.
# Keys are EC P-256, mode 0600; nothing here is ever committed (see
# docs/security.md).
set -euo pipefail

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

out=""
hosts=()
days=397
while getopts "o:H:d:h" opt; do
  case "$opt" in
    o) out=$OPTARG ;;
    H) hosts+=("$OPTARG") ;;
    d) days=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ -n "$out" ]] || { echo "make-certs: -o DIR is required" >&2; usage; }
[[ "$days" =~ ^[0-9]+$ && "$days" -gt 0 ]] || { echo "make-certs: -d wants a number of days, got '$days'" >&2; exit 2; }

for name in "$@"; do
  # The CN becomes a topic level through %u: never '/', '+', '#' or a space.
  # Same alphabet as a gateway id in a veille.reading/1 payload (wire/reading.py).
  if [[ ! "$name" =~ ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$ ]]; then
    echo "make-certs: '$name' is not a valid gateway or account id (letters, digits, '-', '_', '.', ':'; at most 64)" >&2
    exit 2
  fi
  if [[ "$name" == "ca" || "$name" == "broker" ]]; then
    echo "make-certs: '$name' would overwrite the CA or broker files; choose another id" >&2
    exit 2
  fi
done

umask 077
mkdir -p "$out"
chmod 700 "$out"
cd "$out"
ext=$(mktemp)
trap 'rm -f "$ext"' EXIT

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }

if [[ ! -f ca.crt ]]; then
  [[ -f ca.key ]] || newkey ca.key
  openssl req -new -x509 -key ca.key -sha256 -days 3650 -subj "/O=Veille/CN=Veille broker CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
  chmod 644 ca.crt
  echo "make-certs: CA ca.crt"
fi

sign() { # sign NAME SUBJECT EXTENSIONS
  local name=$1 subject=$2
  printf '%s\n' "$3" >"$ext"
  [[ -f "$name.key" ]] || newkey "$name.key"
  openssl req -new -key "$name.key" -subj "$subject" -out "$name.csr"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 \
    -days "$days" -extfile "$ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr"
  chmod 644 "$name.crt"
}

if [[ ! -f broker.crt ]]; then
  ((${#hosts[@]})) || { echo "make-certs: the broker certificate needs at least one -H hostname or IP" >&2; exit 2; }
  san=""
  for host in "${hosts[@]}"; do
    if [[ "$host" =~ ^[0-9.]+$ || "$host" == *:* ]]; then san+="IP:$host,"; else san+="DNS:$host,"; fi
  done
  sign broker "/O=Veille/CN=${hosts[0]}" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=${san%,}"
  echo "make-certs: broker broker.crt for ${hosts[*]}"
fi

for name in "$@"; do
  if [[ -f "$name.crt" ]]; then
    echo "make-certs: $name.crt exists, kept"
    continue
  fi
  sign "$name" "/O=Veille/CN=$name" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
  echo "make-certs: client $name.crt (CN=$name, $days days)"
done
