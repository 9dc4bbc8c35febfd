#!/bin/bash
# Runs once, after the influxdb:2 image's first-start setup (org "veille",
# bucket "veille"), with the admin token configured for the influx CLI.
#
# Veille speaks the InfluxDB v1 HTTP API (/write with line protocol, /query
# with InfluxQL), which every version from 1.6 to 3.x serves. On 2.x that
# needs a DBRP mapping (database "veille", retention policy "autogen" -> the
# bucket) and v1 credentials, made here with the passwords of the secrets:
#   collector  writes and reads the bucket
#   reader     reads it (rules workers, web app, Grafana)
# No service is given the admin token.
set -euo pipefail

bucket_id=${DOCKER_INFLUXDB_INIT_BUCKET_ID:?the influxdb image exports the bucket id to init scripts}

influx v1 dbrp create --bucket-id "$bucket_id" --db veille --rp autogen --default

influx v1 auth create --username collector \
  --password "$(cat /run/secrets/influx_collector_password)" \
  --write-bucket "$bucket_id" --read-bucket "$bucket_id" \
  --description "veille collector (v1 API)"

influx v1 auth create --username reader \
  --password "$(cat /run/secrets/influx_reader_password)" \
  --read-bucket "$bucket_id" \
  --description "veille rules, web and grafana, read-only (v1 API)"
