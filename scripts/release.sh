#!/usr/bin/env bash
# Build the release artefacts and point the conda recipe at them.
#
#   bash scripts/release.sh            sdist + wheel of HEAD (git archive) into dist/, then
#                                      `twine check --strict`, then conda-recipe/meta.yaml's
#                                      source block: the PyPI URL pattern + this sdist's sha256
#   bash scripts/release.sh --local    the same, but the recipe's url is file://<abs>/dist/...
#                                      (for a local `conda build conda-recipe` before upload)
#   GENOMEFACE_WORKTREE=1 ...          build the working tree (tracked + untracked, not ignored
#                                      files) instead of HEAD, as scripts/build-container.sh does
#   GENOMEFACE_NO_ISOLATION=1 ...      `python -m build --no-isolation`: $PYTHON's own setuptools
#                                      (>=77) builds, nothing is fetched (tests/test_packaging.py)
#
# Needs `build` and `twine` in $PYTHON (default .venv/bin/python; both are in the `test`
# extra).  By default the build is isolated (pip fetches setuptools>=77 from PyPI).  Uploading is not
# done here: `twine upload dist/genomeface-<version>*` uploads the very files whose sha256
# the recipe now names (an sdist is not byte-reproducible, so a rebuild gets another hash).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PY=${PYTHON:-$REPO/.venv/bin/python}
mode=pypi
case "${1:-}" in
    "") ;;
    --local) mode=local ;;
    *) echo "release.sh: unknown argument '$1' (usage: release.sh [--local])" >&2; exit 2 ;;
esac
for mod in build twine; do
    "$PY" -c "import $mod" 2>/dev/null \
        || { echo "release.sh: $PY cannot import $mod (pip install 'build>=1.2' 'twine>=6.1', or the test extra)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
commit=$(git rev-parse --short HEAD)
if [ -n "${GENOMEFACE_WORKTREE:-}" ]; then
    git ls-files -z --cached --others --exclude-standard \
        | (while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) \
        | tar --null -T - -cf - | tar -xf - -C "$work/src"
    origin="the working tree at $commit"
else
    git archive --format=tar HEAD | tar -xf - -C "$work/src"
    origin="commit $commit"
fi

# build into a fresh folder, then replace dist/ whole: no stale artefact of another version
iso=(); [ -n "${GENOMEFACE_NO_ISOLATION:-}" ] && iso=(--no-isolation)
"$PY" -m build "${iso[@]}" --sdist --wheel --outdir "$work/dist" "$work/src" >&2
"$PY" -m twine check --strict "$work"/dist/*
rm -rf dist && mkdir dist && cp "$work"/dist/* dist/
sdists=(dist/genomeface-*.tar.gz)
[ "${#sdists[@]}" = 1 ] && [ -f "${sdists[0]}" ] || { echo "release.sh: expected one sdist in dist/, got: ${sdists[*]}" >&2; exit 1; }
sdist=${sdists[0]}
sha=$(sha256sum "$sdist" | cut -d' ' -f1)

RECIPE=conda-recipe/meta.yaml MODE=$mode SHA=$sha SDIST="$REPO/$sdist" ORIGIN="$origin" "$PY" - <<'PY'
import os
import re

path, mode, sha = os.environ["RECIPE"], os.environ["MODE"], os.environ["SHA"]
sdist, origin = os.environ["SDIST"], os.environ["ORIGIN"]
name = os.path.basename(sdist)
if mode == "local":
    lines = [
        f"  # the local sdist scripts/release.sh --local built from {origin}; for a submission",
        "  # rerun scripts/release.sh (no --local) to get the PyPI URL pattern back.",
        f"  url: file://{sdist}",
    ]
else:
    lines = [
        "  # PyPI URL pattern: it resolves only once this very sdist is uploaded",
        f"  # (twine upload dist/{name}); sha256 is that of dist/{name}, built by",
        f"  # scripts/release.sh from {origin}.  Sdists are not byte-reproducible (file",
        "  # mtimes): upload that file or rerun scripts/release.sh.  `scripts/release.sh --local`",
        "  # points url at the local file instead.",
        "  url: https://pypi.org/packages/source/{{ name[0] }}/{{ name }}/{{ name }}-{{ version }}.tar.gz",
    ]
block = "source:\n" + "\n".join(lines) + f"\n  sha256: {sha}\n"
text = open(path).read()
# the source block: from `source:` to the next blank line
new, n = re.subn(r"^source:\n(?:[ ].*\n)+", block, text, count=1, flags=re.M)
if n != 1:
    raise SystemExit(f"release.sh: {path}: no `source:` block to rewrite")
open(path, "w").write(new)
PY
echo "release.sh: $sdist sha256 $sha ($origin); conda-recipe/meta.yaml source: $mode" >&2
ls -l dist >&2
