#!/usr/bin/env bash
# nf-core lint of the genomeface Nextflow components, offline:
#   scripts/lint-nextflow.sh [NF_CORE_MODULES_CLONE]      (or NFCORE_MODULES=... in the environment)
#
# - installs nf-core tools (NFCORE_TOOLS_VERSION, default 4.2.1) from PyPI into a throwaway venv
#   (NFCORE_VENV, default /tmp/nfcore-venv) unless it is there already;
# - copies nextflow/modules/nf-core/genomeface/* and nextflow/subworkflows/nf-core/fasta_binning_genomeface
#   into the nf-core/modules clone (default /tmp/nf-core-modules), where nf-core expects them;
# - runs `nf-core modules lint` on genomeface/{bin,markers,splitfasta} and `nf-core subworkflows lint`
#   on fasta_binning_genomeface with the clone itself as the "remote" (-g CLONE --no-pull: no network),
#   and a `nextflow` stub on PATH that answers the version and config queries nf-core makes
#   (`nextflow -v`, `nextflow config -o json`) and fails `nextflow inspect`, so the two
#   container-resolution checks (main_nf docker_tag / singularity_tag) fail: they need Nextflow and a
#   registry;
# - validates every meta.yml against the clone's JSON schemas (modules/meta-schema.json,
#   subworkflows/yaml-schema.json) and every environment*.yml against modules/environment-schema.json.
# Exit status: 0 when the only failures are those two per module, 1 otherwise; 0 with a "skipped"
# line when there is no clone (e.g. in CI without the network).  Results: $OUT (default
# /tmp/genomeface-nf-lint), one JSON per component plus summary.tsv.
set -euo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
CLONE=${1:-${NFCORE_MODULES:-/tmp/nf-core-modules}}
VENV=${NFCORE_VENV:-/tmp/nfcore-venv}
TOOLS_VERSION=${NFCORE_TOOLS_VERSION:-4.2.1}
OUT=${OUT:-/tmp/genomeface-nf-lint}
MODULES=(genomeface/bin genomeface/markers genomeface/splitfasta)
SUBWORKFLOWS=(fasta_binning_genomeface)
# the checks that need `nextflow inspect` (Nextflow + container registry); allowed to fail
ALLOWED_FAILURES='^(docker_tag|singularity_tag)$'

if [ ! -d "$CLONE/modules/nf-core" ]; then
    echo "lint-nextflow: skipped: no nf-core/modules clone at $CLONE (git clone https://github.com/nf-core/modules $CLONE)"
    exit 0
fi
if [ ! -x "$VENV/bin/nf-core" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "nf-core==$TOOLS_VERSION"
fi

rm -rf "$OUT" && mkdir -p "$OUT/bin" "$OUT/nxf_home"
cat > "$OUT/bin/nextflow" <<'EOF'
#!/usr/bin/env bash
# nextflow stub for offline nf-core lint: version and (empty) config only; no inspect, no runs
case "${1:-}" in
    -v|-version) echo "nextflow version 25.04.6.5954" ;;
    config) echo "{}" ;;
    *) echo "nextflow stub: '$*' needs a real Nextflow" >&2; exit 1 ;;
esac
EOF
chmod +x "$OUT/bin/nextflow"

for m in "${MODULES[@]}"; do
    rm -rf "${CLONE:?}/modules/nf-core/$m"
    mkdir -p "$CLONE/modules/nf-core/$(dirname "$m")"
    cp -r "$HERE/nextflow/modules/nf-core/$m" "$CLONE/modules/nf-core/$m"
done
# genomeface/demodata: the test-input process of the modules' "demo" nf-tests (copied, not linted)
rm -rf "${CLONE:?}/modules/nf-core/genomeface/demodata"
cp -r "$HERE/nextflow/modules/nf-core/genomeface/demodata" "$CLONE/modules/nf-core/genomeface/demodata"
for s in "${SUBWORKFLOWS[@]}"; do
    rm -rf "${CLONE:?}/subworkflows/nf-core/$s"
    cp -r "$HERE/nextflow/subworkflows/nf-core/$s" "$CLONE/subworkflows/nf-core/$s"
done

export PATH="$OUT/bin:$PATH" NXF_HOME="$OUT/nxf_home" NFCORE_NO_VERSION_CHECK=1
run_lint() {  # kind name -> $OUT/<name>.txt (nf-core's plain-text report, passed tests included)
    local kind=$1 name=$2 txt="$OUT/${2//\//_}.txt"
    (cd "$CLONE" && "$VENV/bin/nf-core" "$kind" -g "$CLONE" --no-pull lint "$name" --plain-text --passed \
        >"$txt" 2>&1) || true
    if ! grep -q "LINT RESULTS SUMMARY" "$txt"; then
        echo "lint-nextflow: no report for $name:" >&2; tail -20 "$txt" >&2; return 1
    fi
}
for m in "${MODULES[@]}"; do run_lint modules "$m"; done
for s in "${SUBWORKFLOWS[@]}"; do run_lint subworkflows "$s"; done

"$VENV/bin/python" - "$CLONE" "$HERE" "$OUT" "$ALLOWED_FAILURES" "${MODULES[@]}" -- "${SUBWORKFLOWS[@]}" <<'PYEOF'
import json, re, sys
from pathlib import Path

import jsonschema
import yaml

clone, here, out, allowed = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), re.compile(sys.argv[4])
rest = sys.argv[5:]
modules, subworkflows = rest[:rest.index("--")], rest[rest.index("--") + 1:]
schemas = {"meta": json.load(open(clone / "modules/meta-schema.json")),
           "env": json.load(open(clone / "modules/environment-schema.json")),
           "swf": json.load(open(clone / "subworkflows/yaml-schema.json"))}


def results(text, name):
    """{passed|warned|failed: [(test, message)]} from nf-core's --plain-text report."""
    res, kind = {"passed": [], "warned": [], "failed": []}, None
    for block in text.split("LINT RESULTS SUMMARY")[0].split("\n\n"):
        lines = [ln for ln in block.strip().splitlines() if ln.strip()]
        if lines and lines[0][:3] in ("[✔]", "[!]", "[✗]"):
            kind = {"[✔]": "passed", "[!]": "warned", "[✗]": "failed"}[lines[0][:3]]
            lines = lines[1:]
        if kind and lines and lines[0].startswith(name + " "):
            res[kind].append((lines[0].split()[1], lines[-1]))
    return res


bad, rows = 0, ["component\tpassed\twarned\tfailed\tfailures not allowed\tJSON schema"]
for kind, names in (("modules", modules), ("subworkflows", subworkflows)):
    for name in names:
        text = (out / (name.replace("/", "_") + ".txt")).read_text()
        res = results(text, name)
        tail = text.split("LINT RESULTS SUMMARY")[-1]
        for k, word in (("passed", "Passed"), ("warned", "Warning"), ("failed", "Failed")):
            m = re.search(rf"(\d+) Tests? {word}", tail)
            assert len(res[k]) == (int(m.group(1)) if m else 0), (name, k, len(res[k]), m and m.group(0))
        not_allowed = [t for t, _ in res["failed"] if not allowed.search(t)]
        src = here / "nextflow" / kind / "nf-core" / name
        errors = []
        for p in sorted(src.glob("*.yml")):
            schema = schemas["swf" if kind == "subworkflows" else ("meta" if p.name == "meta.yml" else "env")]
            errors += [f"{p.name}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(yaml.safe_load(open(p)))]
        bad += bool(not_allowed) + bool(errors)
        rows.append(f"{kind}/{name}\t{len(res['passed'])}\t{len(res['warned'])}\t{len(res['failed'])}\t"
                    f"{', '.join(not_allowed) or 'none'}\t{'; '.join(errors) or 'valid'}")
        for k in ("failed", "warned"):
            for t, msg in res[k]:
                print(f"  {k}: {kind}/{name} {t}: {msg}")
(out / "summary.tsv").write_text("\n".join(rows) + "\n")
print("\n".join(rows))
sys.exit(1 if bad else 0)
PYEOF
