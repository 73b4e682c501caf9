#!/usr/bin/env bash
# Regenerate the golden files under Tests/Fixtures/ with diffusers/transformers.
#
#   scripts/make-fixtures.sh                  # everything
#   scripts/make-fixtures.sh --only randn     # arguments go to scripts/make_fixtures.py
#   scripts/make-fixtures.sh --only clip_vocab pipelines
#
# Creates .venv (git-ignored) when missing and installs scripts/requirements-fixtures.txt into it,
# again only when that file changed since the last install. All models are tiny random-weight configs;
# the one download at generation time is the open_clip_torch wheel named in the requirements file, for
# CLIP's BPE merges (pip download --no-deps into .venv/wheels/, once; never installed).
# Swift tests read the committed files and never need Python.
#
# Environment: PYTHON (default python3) picks the interpreter that creates the venv.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

venv=".venv"
requirements="scripts/requirements-fixtures.txt"
stamp="$venv/.fixtures-requirements.sha256"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "make-fixtures: creating $venv with ${PYTHON:-python3}"
    "${PYTHON:-python3}" -m venv "$venv"
fi

wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    echo "make-fixtures: installing $requirements"
    # torch==2.13.0+cpu is not on PyPI: pip must find it through its configured find-links or index
    # (see the comment at the top of the requirements file).
    if ! "$venv/bin/pip" install --disable-pip-version-check -r "$requirements"; then
        echo "make-fixtures: pip install failed. If torch==2.13.0+cpu was not found, point pip at a CPU" >&2
        echo "  wheel (PIP_FIND_LINKS=<dir with the wheel> or PIP_EXTRA_INDEX_URL=<CPU wheel index>)." >&2
        exit 1
    fi
    echo "$wanted" > "$stamp"
fi

# One thread: deterministic reductions and a free core for everything else.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
"$venv/bin/python" scripts/make_fixtures.py "$@"
du -sh --apparent-size Tests/Fixtures
