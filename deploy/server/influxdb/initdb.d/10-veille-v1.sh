#!/bin/bash
# Runs once, after the influxdb:2 image's first-start setup (org "veille",
# bucket "veille"), with the admin token configured for the influx CLI.
#
# Veille and Grafana query with InfluxQL (/query), which 1.x, 2.x and 3.x all
# serve; on 2.x that needs a DBRP mapping (database "veille", retention policy
# "autogen" -> the bucket), made here. Grafana reads as the v1 account
# "reader" (password from the secrets), read-only. The Veille services use
# scoped API tokens instead (make-tokens.sh). No service holds the admin token.
set -euo pipefail

bucket_id=${DOCKER_INFLUXDB_INIT_BUCKET_ID:?the influxdb image exports the bucket id to init scripts}

influx v1 dbrp create --bucket-id "$bucket_id" --db veille --rp autogen --default

influx v1 auth create --username reader \
  --password "$(cat /run/secrets/influx_reader_password)" \
  --read-bucket "$bucket_id" \
  --description "grafana, read-only (v1 API)"
