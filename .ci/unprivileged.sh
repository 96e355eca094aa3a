#!/usr/bin/env bash
# The tests whose outcome depends on who runs them (marked `permissions`: root may write any
# file), run as an unprivileged user with an unwritable HOME, LANG=C and TMPDIR elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
user=neuroflow-ci
id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
# The interpreter may live under a private home (pyenv under /root) and the clone anywhere:
# let other users traverse (not list) the folders above both.
for path in "$(readlink -f .venv/bin/python)" "$PWD"; do
    folder=$(dirname "$path")
    while [ "$folder" != / ]; do chmod o+x "$folder"; folder=$(dirname "$folder"); done
done
chmod -R o+rX . 2>/dev/null || true
scratch=$(mktemp -d)
chown "$user" "$scratch"
trap 'rm -rf "$scratch"' EXIT
runuser -u "$user" -- env -i PATH="$PATH" HOME=/nonexistent TMPDIR="$scratch" LANG=C \
    PYTHONDONTWRITEBYTECODE=1 CI="${CI:-1}" \
    .venv/bin/python -m pytest -p no:cacheprovider -m permissions -rs tests
