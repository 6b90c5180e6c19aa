#!/usr/bin/env bash
# Set up (a virtualenv in .venv with this checkout installed) and run the board or the tests.
#   ./dev.sh board   open the board on the local replica (installs only what the board needs)
#   ./dev.sh test    run the test suite (installs the test tools too) (extra arguments go to pytest; four workers;
#                    SOLO_UNICORN_TEST_WORKERS=0 runs it in this one process)
# Needs only Python 3.11+ and git.
set -euo pipefail
cd "$(dirname "$0")"

python=""
for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "dev.sh: error: Python 3.11 or newer is needed; install it or set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

venv=.venv
command=${1:-board}
shift || true

# The board needs the package alone; the test command adds the test tools (its own stamp, so
# opening the board after the tests installs nothing). pip prints its progress: a first install
# takes a minute or two, and silence would look like a hang.
case "$command" in
  test) extra='[test]' stamp=$venv/.installed-test what="solo-unicorn-tui and its test tools" ;;
  board) extra='' stamp=$venv/.installed what="solo-unicorn-tui" ;;
  *)
    echo "dev.sh: error: unknown command '$command'; use 'board' or 'test'" >&2
    exit 2
    ;;
esac
if [ ! -x "$venv/bin/python" ]; then
  echo "dev.sh: [1/2] creating $venv with $python" >&2
  "$python" -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "dev.sh: [2/2] installing $what into $venv (pip's progress follows)" >&2
  "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar on -e ".$extra" >&2
  if [ "$command" = test ]; then touch "$venv/.installed"; fi
  touch "$stamp"
  echo "dev.sh: installed" >&2
fi

case "$command" in
  board) exec "$venv/bin/solo-unicorn" board "$@" ;;
  # Four workers: most tests wait on subprocesses, git and the terminal, not on the CPU.
  test) exec "$venv/bin/python" -m pytest -n "${SOLO_UNICORN_TEST_WORKERS:-4}" "$@" ;;
esac
