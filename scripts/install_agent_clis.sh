#!/usr/bin/env bash
# Install the real agent CLIs the conformance tests (tests/agents) run, at the versions pinned in
# tests/agent_clis/ (package-lock.json for npm, requirements-aider.txt for aider's own venv),
# into .agent-clis/ (gitignored; another folder with SOLO_UNICORN_AGENT_CLIS=DIR, which the
# tests read too). Safe to run again: an install that
# matches the lockfile is kept. Exits non-zero when anything cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=${SOLO_UNICORN_AGENT_CLIS:-.agent-clis}
lock=tests/agent_clis/package-lock.json
fail() {
  echo "install_agent_clis.sh: error: $*" >&2
  exit 1
}

# --- npm: claude, codex, gemini, opencode ------------------------------------------------------
command -v npm >/dev/null 2>&1 || fail "npm was not found; install Node.js 18 or newer (with npm)"
mkdir -p "$dest"
if cmp -s "$lock" "$dest/package-lock.json" && [ -f "$dest/node_modules/.package-lock.json" ]; then
  echo "install_agent_clis.sh: npm CLIs already match $lock" >&2
else
  cp tests/agent_clis/package.json "$lock" "$dest/"
  (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error) ||
    fail "npm ci failed in $dest (see above)"
fi
for cli in claude codex gemini opencode; do
  "$dest/node_modules/.bin/$cli" --version >/dev/null 2>&1 ||
    fail "$cli was installed but does not run: $dest/node_modules/.bin/$cli --version"
done

# --- pip: aider, in its own virtualenv (tests/agent_clis/requirements-aider.txt) ---------------
AGENT_CLIS_DIR="$dest" scripts/install_aider.sh || fail "aider could not be installed (see above)"
"$dest/aider-venv/bin/aider" --version >/dev/null 2>&1 ||
  fail "aider was installed but does not run: $dest/aider-venv/bin/aider --version"

echo "install_agent_clis.sh: agent CLIs ready in $dest" >&2
