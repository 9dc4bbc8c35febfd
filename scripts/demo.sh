#!/usr/bin/env bash
# Sets up Veille on a fresh machine and runs the demo: embedded broker, SQLite,
# a simulated household. Extra arguments go to `veille demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/veille demo "$@"
