#!/usr/bin/env bash
# Creates every secret compose.yaml needs, in deploy/server/secrets/ (git-ignored).
#
#   ./make-secrets.sh                 reads MQTT_HOSTNAME from .env or the environment
#   ./make-secrets.sh gw-0001 gw-0002 also issues client certificates for these gateways
#   SECRETS_DIR=/elsewhere ./make-secrets.sh   writes there instead (compose reads ./secrets)
#
# Idempotent: what exists is kept (delete a file to rotate it). The PKI
# (CA key included) lives in secrets/pki/: copy ca.key OFFLINE and remove it
# from the server once the gateways are issued (docs/security.md).
# Needs openssl.
set -euo pipefail
cd "$(dirname "$0")"

if [[ -z "${MQTT_HOSTNAME:-}" && -f .env ]]; then
  MQTT_HOSTNAME=$(sed -n 's/^MQTT_HOSTNAME=//p' .env | tail -n 1)
fi
[[ -n "${MQTT_HOSTNAME:-}" ]] || { echo "make-secrets: set MQTT_HOSTNAME (in .env): the name gateways use to reach the broker" >&2; exit 2; }

umask 077
secrets=${SECRETS_DIR:-secrets}
mkdir -p "$secrets"
pki=$secrets/pki
# The broker answers as $MQTT_HOSTNAME to gateways, as "mosquitto" inside the
# stack, and as localhost to its own healthcheck.
bash ../mosquitto/make-certs.sh -o "$pki" -H "$MQTT_HOSTNAME" -H mosquitto -H localhost \
  collector rules healthcheck "$@" >&2

copy() { [[ -s "$secrets/$2" ]] || cp "$pki/$1" "$secrets/$2"; }
copy ca.crt mqtt_ca
copy broker.crt mqtt_broker_cert
copy broker.key mqtt_broker_key
for account in collector rules healthcheck; do
  copy "$account.crt" "mqtt_${account}_cert"
  copy "$account.key" "mqtt_${account}_key"
done

random() { # random FILE: 32 random bytes, URL-safe, unless FILE exists
  [[ -s "$secrets/$1" ]] || openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n' >"$secrets/$1"
}
for name in postgres_password influx_admin_password influx_admin_token \
  influx_reader_password grafana_admin_password web_secret_key sharing_code_pepper; do
  random "$name"
done
# The broker's password file starts empty: add-gateway-password.sh fills it.
[[ -e "$secrets/mqtt_passwords" ]] || : >"$secrets/mqtt_passwords"
if [[ ! -s "$secrets/database_url" ]]; then
  printf 'postgresql+psycopg://veille:%s@postgres:5432/veille' "$(cat "$secrets/postgres_password")" \
    >"$secrets/database_url"
fi

# The directory is the lock (0700, owner only: no other account on the host can
# open anything inside); the files are world-readable so that each container's
# own user (mosquitto 1883, postgres 999, grafana 472, veille 10001, ...) can
# read the secrets compose mounts into it, and only those.
chmod 0700 "$secrets" "$pki"
find "$secrets" -maxdepth 1 -type f -exec chmod 0444 {} +
echo "make-secrets: secrets in $secrets; gateway certificates in $pki" >&2
