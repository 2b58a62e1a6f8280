#!/usr/bin/env bash
# Installs what MSPercury needs on a Debian machine: system packages (WeasyPrint's Pango, fonts,
# and for the tests Chromium and poppler), a virtualenv in .venv with the exact versions from
# requirements.lock, and compiled translations. Safe to run again; it skips what is in place.
#   usage: scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

debian_packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2 gettext)
if [[ $want_test == 1 ]]; then
  debian_packages+=(chromium poppler-utils)
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
fi
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "==> Installing Debian packages: ${missing[*]}"
  if [[ $(id -u) == 0 ]]; then sudo_cmd=(); else sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python_bin="${PYTHON:-python3.11}"
command -v "$python_bin" >/dev/null 2>&1 || python_bin=python3
if ! "$python_bin" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
  echo "MSPercury needs Python 3.11 (found $("$python_bin" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "==> Creating virtualenv in .venv"
  "$python_bin" -m venv .venv
fi
stamp=.venv/.requirements.sha256
wanted=$(sha256sum requirements.lock | cut -d' ' -f1)
if [[ ! -f $stamp || "$(cat "$stamp")" != "$wanted" ]]; then
  echo "==> Installing Python packages from requirements.lock"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
  echo "$wanted" > "$stamp"
fi

# Translations: compile .po to .mo (the .mo files are build output, not committed).
if compgen -G "locale/*/LC_MESSAGES/*.po" >/dev/null; then
  for po in locale/*/LC_MESSAGES/*.po; do
    mo="${po%.po}.mo"
    if [[ ! -f $mo || $po -nt $mo ]]; then msgfmt --check-format -o "$mo" "$po"; fi
  done
fi
