#!/usr/bin/env bash
# neuroflow installed read-only and run by an unprivileged user whose HOME is not writable
# (a system-wide install used by another user, a container under an arbitrary UID): the
# numba kernels must still work (compiled without a cache, or the NumPy reference with
# one note line) and nothing may be written beside the package.
#
# Builds a wheel of this working tree, installs it (not editable) into a fresh virtual
# environment whose dependencies are copied (hard-linked) from the project's .venv (no
# download beyond the wheel build's own setuptools), makes it read-only (chmod a-w), then
# as an unprivileged user (nobody, or a user created here) with HOME unwritable runs
#   neuroflow train --epochs 1 --limit 600 --layers 784,16,10   (bundled MNIST, a subset)
#   neuroflow predict MODEL x.npy --out predictions.csv
# and checks their exit statuses and that stderr holds no traceback.
#
# usage: .ci/readonly_install.sh            (as root; PYTHON defaults to .venv/bin/python,
#                                             made by `make test` or `make run` if missing)
# exit: 0 all good; 1 a check failed (the reason is the last line); 2 cannot run here.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
RUN_AS="${RUN_AS:-nobody}"

fail() { echo "readonly_install: FAILED: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "readonly_install: needs root (to switch user)" >&2; exit 2; }
[ -x "$PYTHON" ] || make -C "$ROOT" .venv/.installed >/dev/null
if ! id -u "$RUN_AS" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$RUN_AS"
fi

WORK="$(mktemp -d /tmp/neuroflow-readonly.XXXXXX)"
cleanup() { find "$WORK" -type d -exec chmod u+w {} + 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
chmod 755 "$WORK"

# 1. a fresh environment, into which neuroflow's dependencies are copied from $PYTHON's
#    (in the background, while step 2 builds the wheel)
BASE="$("$PYTHON" -c 'import sys; print(sys._base_executable)')"
"$BASE" -m venv --without-pip "$WORK/env"
SITE="$("$WORK/env/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
"$PYTHON" - "$SITE" >"$WORK/copy.log" 2>&1 <<'EOF' &
"""Copy the installed distributions neuroflow needs (not its extras, and only those
whose markers hold here), recursively."""
import os
import re
import shutil
import sys
from importlib import metadata
from pathlib import Path

try:
    from packaging.requirements import Requirement
except ImportError:  # pip's own copy
    from pip._vendor.packaging.requirements import Requirement

target = Path(sys.argv[1])
pending, done = ["neuroflow"], set()
while pending:
    name = pending.pop()
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in done:
        continue
    done.add(key)
    dist = metadata.distribution(name)
    for text in dist.requires or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            pending.append(requirement.name)
    if key == "neuroflow":
        continue  # installed from the wheel
    for file in dist.files or []:
        source = Path(dist.locate_file(file))
        if file.parts[0] == ".." or not source.is_file():
            continue  # scripts in bin/, or files pip recorded but removed
        destination = target / file
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:  # a hard link where the file system allows (fast; the file is not changed)
            os.link(source, destination)
        except OSError:
            shutil.copy2(source, destination)
EOF
COPYING=$!

# 2. a wheel of the working tree (built from a copy: nothing is written into the checkout),
#    installed (not editable) into the environment
mkdir "$WORK/tree"
cp -r "$ROOT/src" "$ROOT/pyproject.toml" "$ROOT/README.md" "$ROOT/LICENSE" "$WORK/tree/"
find "$WORK/tree" \( -name __pycache__ -o -name '*.egg-info' \) -prune -exec rm -rf {} +
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$WORK/wheel" "$WORK/tree" >/dev/null
wait "$COPYING" || { cat "$WORK/copy.log" >&2; fail "copying the dependencies failed"; }
"$PYTHON" -m pip --python "$WORK/env/bin/python" install --quiet --no-deps --no-index \
    "$WORK"/wheel/neuroflow-*.whl

# 3. read-only: nobody may write beside the package (no __pycache__, no numba cache):
#    every folder of the environment and neuroflow's own files lose their write bits (the
#    dependencies' files are root's, 0644, and may be links to the project's: untouched)
find "$WORK/env" -name __pycache__ -prune -exec rm -rf {} +
chmod -R a-w,a+rX "$SITE/neuroflow" "$SITE"/neuroflow-*.dist-info "$WORK/env/bin"
find "$WORK/env" -type d -exec chmod a-w,a+rx {} +
mkdir "$WORK/out"
chown "$RUN_AS" "$WORK/out"
echo "readonly_install: installed read-only in $SECONDS s"

as_user() {  # run as $RUN_AS with no writable HOME or cache folder
    ( cd "$WORK/out" && runuser -u "$RUN_AS" -- env -i PATH="$WORK/env/bin:/usr/bin:/bin" \
        HOME=/nonexistent XDG_CACHE_HOME=/nonexistent/.cache LANG=C.UTF-8 "$@" )
}
check() {  # check NAME COMMAND...: exit 0 and no traceback on stderr
    local name="$1"; shift
    local status=0 start=$SECONDS
    as_user "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || status=$?
    if [ "$status" != 0 ] || grep -q "Traceback" "$WORK/$name.err"; then
        sed 's/^/    /' "$WORK/$name.err" | tail -20 >&2
        fail "$name exited with status $status"
    fi
    echo "readonly_install: $name ok in $((SECONDS - start)) s$(grep -h 'neuroflow: note:' \
        "$WORK/$name.err" | head -1 | sed 's/^/ (/; s/$/)/')"
}

as_user test -w "$SITE/neuroflow" && fail "the install is writable by $RUN_AS"
as_user test -w /nonexistent && fail "HOME is writable by $RUN_AS"
# the installed copy is the one imported; five test images to predict on
where="$(as_user python -c 'import numpy as np, neuroflow
from neuroflow.datasets import mnist
np.save("x.npy", mnist()[2][:5])
print(neuroflow.__file__)')"
case "$where" in "$SITE"/*) ;; *) fail "neuroflow imported from $where, not $SITE" ;; esac

check train neuroflow train --epochs 1 --limit 600 --layers 784,16,10 --batch-size 64 \
    --quiet --out model.safetensors
[ -s "$WORK/out/model.safetensors" ] || fail "train wrote no model"
check predict neuroflow predict model.safetensors x.npy --out predictions.csv
[ "$(wc -l <"$WORK/out/predictions.csv")" = 6 ] || fail "predict did not write 5 rows"
leftovers="$(find "$WORK/env" -newer "$WORK/wheel" \( -name '*.nbi' -o -name '*.nbc' -o -name '*.pyc' \) | wc -l)"
[ "$leftovers" = 0 ] || fail "$leftovers files were written inside the read-only install"
echo "readonly_install: passed in $SECONDS s (user $RUN_AS, HOME unwritable)"
