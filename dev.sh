#!/usr/bin/env bash
# Set up (a virtualenv in .venv with this checkout installed) and run the board or the tests.
#   ./dev.sh board   open the board on the local replica (demo missions when it is empty)
#   ./dev.sh test    run the test suite (extra arguments go to pytest; four workers;
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
stamp=$venv/.installed
if [ ! -x "$venv/bin/python" ]; then
  echo "dev.sh: creating $venv with $python" >&2
  "$python" -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "dev.sh: installing solo-unicorn-tui and its test tools into $venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
  touch "$stamp"
fi

command=${1:-board}
shift || true
case "$command" in
  board) exec "$venv/bin/solo-unicorn" board --demo-if-empty "$@" ;;
  # Four workers: most tests wait on subprocesses, git and the terminal, not on the CPU.
  test) exec "$venv/bin/python" -m pytest -n "${SOLO_UNICORN_TEST_WORKERS:-4}" "$@" ;;
  *)
    echo "dev.sh: error: unknown command '$command'; use 'board' or 'test'" >&2
    exit 2
    ;;
esac
