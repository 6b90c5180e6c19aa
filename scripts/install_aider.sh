#!/usr/bin/env bash
# Install aider (pinned, tests/agent_clis/requirements-aider.txt) into .agent-clis/aider-venv,
# where the conformance tests look for it (tests/agents/cli_paths.py). Safe to run again: an
# existing venv with the pinned version is kept.
#   scripts/install_aider.sh            install next to this checkout
#   AGENT_CLIS_DIR=/some/dir scripts/install_aider.sh   (install_agent_clis.sh calls it so)
set -euo pipefail
cd "$(dirname "$0")/.."

requirements=tests/agent_clis/requirements-aider.txt
target=${AGENT_CLIS_DIR:-${SOLO_UNICORN_AGENT_CLIS:-.agent-clis}}
venv=$target/aider-venv
want=$(sed -n 's/^aider-chat==//p' "$requirements")

python=""
for candidate in "${PYTHON:-}" python3.12 python3.11 python3; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] < (3, 13))' 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "install_aider.sh: error: aider $want needs Python 3.10-3.12; install one or set PYTHON=..." >&2
  exit 1
fi

if [ -x "$venv/bin/aider" ] && [ "$("$venv/bin/aider" --version 2>/dev/null)" = "aider $want" ]; then
  echo "aider $want already installed in $venv"
  exit 0
fi

mkdir -p "$target"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
installed=$("$venv/bin/aider" --version)
if [ "$installed" != "aider $want" ]; then
  echo "install_aider.sh: error: expected aider $want, got '$installed'" >&2
  exit 1
fi
echo "$installed installed in $venv"
