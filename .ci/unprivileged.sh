#!/usr/bin/env bash
# The whole suite again, started the other ways people start it: as an unprivileged user (the
# tests marked `permissions`, which skip as root, run here), in a read-only checkout, with an
# unwritable HOME, LANG=C, TMPDIR elsewhere, no display, and SIGINT ignored as in a
# background job (`nohup make test &`).
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
trap '' INT  # ignored signals stay ignored across exec
runuser -u "$user" -- env -i PATH="$PATH" HOME=/nonexistent TMPDIR="$scratch" LANG=C \
    PYTHONDONTWRITEBYTECODE=1 CI="${CI:-1}" \
    .venv/bin/python -m pytest -p no:cacheprovider -n auto --maxprocesses 4 --dist loadfile \
    -rs tests
