#!/bin/sh
# Entry point of the Veille image: refuse to start without secrets, then run.
#
# - Every VEILLE_*_FILE variable names a file the service needs (a broker
#   certificate, a key, a password file): it must exist, be readable and not
#   be empty.
# - Every FILE__NAME=/path variable is a secret whose CONTENT Veille reads
#   from the environment variable NAME (e.g. FILE__VEILLE_DATABASE__URL for a
#   database URL carrying a password). The file must exist and not be empty.
#   The value is exported to the command only, never printed.
# Then the command runs as PID 1's replacement (exec), so it gets the signals.
set -eu

fail() {
  echo "veille: $1" >&2
  echo "veille: create the secrets with deploy/server/make-secrets.sh (docs/server-deploy.md)" >&2
  exit 78 # EX_CONFIG: a restart loop without the secret would not help
}

for name in $(env | sed -n 's/^\(VEILLE_[A-Z0-9_]*_FILE\)=.*/\1/p'); do
  eval "path=\${$name}"
  # shellcheck disable=SC2154 # set by eval
  [ -r "$path" ] || fail "$name=$path: missing or unreadable"
  [ -s "$path" ] || fail "$name=$path: empty"
done

for name in $(env | sed -n 's/^FILE__\([A-Z0-9_]*\)=.*/\1/p'); do
  eval "path=\${FILE__$name}"
  [ -r "$path" ] || fail "FILE__$name=$path: missing or unreadable"
  [ -s "$path" ] || fail "FILE__$name=$path: empty"
  value=$(cat "$path")
  export "$name=$value"
  unset "FILE__$name"
done

[ "$#" -gt 0 ] || set -- veille --help
exec "$@"
