#!/usr/bin/env bash
# Sets up a fresh Debian/Raspberry Pi OS machine for Veille: system packages
# (only those missing), then a virtual environment with Veille installed.
#   scripts/setup.sh          what the demo needs
#   scripts/setup.sh --test   also the servers and browser the test suite drives
set -euo pipefail
cd "$(dirname "$0")/.."

# pango: WeasyPrint draws the consultation summary's PDF with it (web/routes/summary.py)
want=(libpango-1.0-0 libpangoft2-1.0-0)
if [[ "${1:-}" == "--test" ]]; then
  # real broker, real InfluxDB 1.6 (Debian), VictoriaMetrics for the v2 write API, real browser,
  # real PostgreSQL (the relational store of a server), dbus-daemon (gateway pairing agent tests), systemd-analyze (Pi unit)
  want+=(mosquitto mosquitto-clients influxdb victoria-metrics chromium chromium-driver postgresql shellcheck dbus-daemon systemd caddy)
fi
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
extras=""; [[ "${1:-}" == "--test" ]] && extras="[test]"
# vendor drivers shipped in the repository install exactly as a vendor's would: as their own packages
plugins=()
for project in plugins/*/pyproject.toml; do
  [[ -e "$project" ]] && plugins+=(-e "$(dirname "$project")")
done
.venv/bin/python -m pip install -q -e ".${extras}" "${plugins[@]}"
