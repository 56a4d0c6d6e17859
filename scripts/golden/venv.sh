#!/usr/bin/env bash
# Creates (once) scripts/golden/.venv with the pinned reference packages and prints its python path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${GOLDEN_VENV:-$here/.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q -r "$here/requirements.txt" >&2
fi
echo "$venv/bin/python"
