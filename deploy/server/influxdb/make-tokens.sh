#!/bin/bash
# One-shot (compose service "influxdb-tokens"): scoped API tokens for the
# Veille services, written to the volume they mount read-only.
#   collector  read + write on bucket "veille"
#   reader     read on bucket "veille"        (rules workers, web app)
# InfluxDB 2 generates token strings itself, so they cannot be made in
# advance with the other secrets. Kept if present: delete the file (and the
# token in InfluxDB: `influx auth delete`) to rotate. Runs as root with the
# admin token, which no long-running Veille service ever holds.
set -euo pipefail

out=/tokens
export INFLUX_HOST=http://influxdb:8086
INFLUX_TOKEN=$(cat /run/secrets/influx_admin_token)
export INFLUX_TOKEN
bucket_id=$(influx bucket list --org veille --name veille --hide-headers | cut -f 1)
[[ -n "$bucket_id" ]] || { echo "make-tokens: bucket veille not found in org veille" >&2; exit 1; }

token() { # token NAME FLAGS...
  local name=$1
  shift
  if [[ -s "$out/$name" ]]; then
    echo "make-tokens: $name kept"
    return
  fi
  influx auth create --org veille --description "veille $name" "$@" --json \
    | sed -n 's/^ *"token": *"\([^"]*\)".*/\1/p' >"$out/$name.new"
  [[ -s "$out/$name.new" ]] || { echo "make-tokens: no token for $name" >&2; exit 1; }
  chmod 0444 "$out/$name.new"
  mv "$out/$name.new" "$out/$name"
  echo "make-tokens: $name created"
}

token collector --read-bucket "$bucket_id" --write-bucket "$bucket_id"
token reader --read-bucket "$bucket_id"
