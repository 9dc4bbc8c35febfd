#!/usr/bin/env bash
# Gives a gateway its own broker password (the TLS + password listener, 8884).
#
#   ./add-gateway-password.sh gw-0042
#
# Draws a random password, adds its hash for user gw-0042 to
# secrets/mqtt_passwords (mosquitto_passwd: from the host if installed, else
# from the mosquitto image) and prints the password ONCE on stdout, for the
# gateway's credential file (/etc/veille/credentials/broker-password on the Pi,
# docs/pi-install.md). Nothing else keeps it. Run again to replace it.
# Then: docker compose restart mosquitto
# SECRETS_DIR=/elsewhere uses another secrets directory.
set -euo pipefail
cd "$(dirname "$0")"

[[ $# -eq 1 ]] || { echo "usage: $0 GATEWAY_ID" >&2; exit 2; }
id=$1
# the username becomes a topic level through the ACL's %u (same alphabet as make-certs.sh)
if [[ ! "$id" =~ ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$ ]]; then
  echo "add-gateway-password: '$id' is not a valid gateway id" >&2
  exit 2
fi
case "$id" in
  collector | rules | web | healthcheck)
    echo "add-gateway-password: '$id' is a reserved service account" >&2
    exit 2
    ;;
esac

secrets=$(cd "${SECRETS_DIR:-secrets}" && pwd)
file=$secrets/mqtt_passwords
[[ -e "$file" ]] || { echo "add-gateway-password: no $file: run ./make-secrets.sh first" >&2; exit 2; }
password=$(openssl rand -base64 24 | tr '+/' '-_' | tr -d '=\n')

chmod 0644 "$file"
if command -v mosquitto_passwd >/dev/null; then
  mosquitto_passwd -b "$file" "$id" "$password"
else
  docker run --rm --network none -v "$secrets:/secrets" eclipse-mosquitto:2.0.20 \
    mosquitto_passwd -b /secrets/mqtt_passwords "$id" "$password"
fi
chmod 0444 "$file"
echo "add-gateway-password: $id added; restart the broker: docker compose restart mosquitto" >&2
printf '%s\n' "$password"
