#!/usr/bin/env bash
# Regenerate the example scanner reports in examples/reports/{v1,v2}/.
#
# 1. Installs pinned scanners into a cache outside the repository
#    (${FIXGATE_EXAMPLES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fixgate-examples}),
#    then runs the two dependency audits, pip-audit and npm audit, over the
#    manifests of examples/vulnshop/{v1,v2}. This is the only step that uses
#    the network (PyPI and the npm registry): both audits look every pinned
#    package up in an online vulnerability service and cannot work offline.
# 2. Builds a throwaway git repository in a temporary directory, commits
#    examples/vulnshop/v1 with fixed names and dates (so the commit SHA is the
#    same on every machine), scans it, then replaces the tree with
#    examples/vulnshop/v2, commits again and scans again.
# 3. Post-processes the reports (relative paths, no timestamps, stable order)
#    and writes context.json next to them.
#
# Scans run without network: inside a new network namespace (unshare -n) when
# the machine allows one, otherwise with every scanner's own network features
# switched off by flags.
#
# Each version gets one SARIF file per static scanner (Bandit, Semgrep,
# Checkov, ESLint), each of the first three also as its native JSON report
# (written by the same scan for Semgrep and Checkov, by a second run for
# Bandit), detect-secrets' JSON report, and the JSON reports of pip-audit and
# npm audit.
#
# FIXGATE_EXAMPLES_AUDITS chooses what happens with the two online audits:
#   auto    (default) run them; when a vulnerability service cannot be reached
#           or does not answer for every package, warn and keep the report
#           already in examples/reports/ (if any) instead of writing a partial
#           one;
#   require run them and fail when they cannot complete;
#   skip    do not run them; keep the reports already there.
# Their reports follow the services' advisory data, which grows over time:
# unlike the other reports they can change between two runs on the same tree.
set -euo pipefail

EXAMPLES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
CACHE_DIR="${FIXGATE_EXAMPLES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fixgate-examples}"
PYTHON="${PYTHON:-python3}"
TOOLS_DIR="$EXAMPLES_DIR/tools"
REPORTS_DIR="$EXAMPLES_DIR/reports"

BANDIT_VERSION=1.9.4
SEMGREP_VERSION=1.187.0
CHECKOV_VERSION=3.3.30
DETECT_SECRETS_VERSION=1.5.0
PIP_AUDIT_VERSION=2.10.1
# ESLint, its plugins and npm (for npm audit) are pinned in tools/package.json
# and tools/package-lock.json.
AUDITS="${FIXGATE_EXAMPLES_AUDITS:-auto}"
VERSIONS=(v1 v2)

APPLICATION=vulnshop
REPOSITORY_URL=https://github.com/fixgate-demo/vulnshop
BRANCH=main

log() { printf '[regenerate] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v git >/dev/null || die "git is required"
command -v "$PYTHON" >/dev/null || die "$PYTHON is required"
command -v npm >/dev/null || die "npm (with node) is required"
case "$AUDITS" in
  auto | require | skip) ;;
  *) die "FIXGATE_EXAMPLES_AUDITS must be auto, require or skip (not '$AUDITS')" ;;
esac

mkdir -p "$CACHE_DIR"
CACHE_DIR="$(cd "$CACHE_DIR" && pwd -P)"

# --- scanner installation -----------------------------------------------------

# setup_venv NAME REQUIREMENT: a virtualenv per scanner, so that their pinned
# dependencies cannot clash. The constraints file pins every transitive package.
setup_venv() {
  local name="$1" requirement="$2"
  local venv="$CACHE_DIR/venv-$name"
  local constraints="$TOOLS_DIR/constraints-$name.txt"
  local stamp
  stamp="$requirement $("$PYTHON" --version 2>&1) $(sha256sum "$constraints" | cut -d' ' -f1)"
  if [[ -f "$venv/.fixgate-stamp" && "$(cat "$venv/.fixgate-stamp")" == "$stamp" ]]; then
    return
  fi
  log "installing $requirement into $venv"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -c "$constraints" "$requirement"
  printf '%s' "$stamp" >"$venv/.fixgate-stamp"
}

setup_node() {
  local dir="$CACHE_DIR/node"
  local stamp
  stamp="$(node --version) $(cat "$TOOLS_DIR/package.json" "$TOOLS_DIR/package-lock.json" | sha256sum | cut -d' ' -f1)"
  mkdir -p "$dir"
  if [[ ! -f "$dir/.fixgate-stamp" || "$(cat "$dir/.fixgate-stamp")" != "$stamp" ]]; then
    log "installing ESLint toolchain and npm into $dir"
    rm -rf "$dir/node_modules"
    cp "$TOOLS_DIR/package.json" "$TOOLS_DIR/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    printf '%s' "$stamp" >"$dir/.fixgate-stamp"
  fi
  # The config imports the plugins, so it must sit next to node_modules.
  cp "$TOOLS_DIR/eslint.config.mjs" "$dir/eslint.config.mjs"
}

setup_venv bandit "bandit[sarif]==$BANDIT_VERSION"
setup_venv semgrep "semgrep==$SEMGREP_VERSION"
setup_venv checkov "checkov==$CHECKOV_VERSION"
setup_venv detect-secrets "detect-secrets==$DETECT_SECRETS_VERSION"
setup_venv pip-audit "pip-audit==$PIP_AUDIT_VERSION"
setup_node

BANDIT="$CACHE_DIR/venv-bandit/bin/bandit"
SEMGREP="$CACHE_DIR/venv-semgrep/bin/semgrep"
CHECKOV="$CACHE_DIR/venv-checkov/bin/checkov"
ESLINT="$CACHE_DIR/node/node_modules/.bin/eslint"
ESLINT_CONFIG="$CACHE_DIR/node/eslint.config.mjs"
ESLINT_SARIF="$CACHE_DIR/node/node_modules/@microsoft/eslint-formatter-sarif/sarif.js"
DETECT_SECRETS="$CACHE_DIR/venv-detect-secrets/bin/detect-secrets"
PIP_AUDIT="$CACHE_DIR/venv-pip-audit/bin/pip-audit"
# The pinned npm from tools/package.json, not the one on the PATH: the shape of
# npm audit's report depends on npm's version.
NPM="$CACHE_DIR/node/node_modules/.bin/npm"

export NO_COLOR=1 TZ=UTC LC_ALL=C.UTF-8

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
WORK="$(cd "$WORK" && pwd -P)"

# --- dependency audits (network) ---------------------------------------------------

# pip-audit and npm audit send the pinned names and versions of
# vulnshop/VERSION/requirements.txt and package-lock.json to PyPI's and the npm
# registry's vulnerability services: no local database exists for them, so they
# run here, with network, on copies of the two manifests. Their reports are
# moved next to the others by scan(). A service that fails, or does not answer
# for every package, leaves no report (see FIXGATE_EXAMPLES_AUDITS above).

# audit_failed VERSION TOOL LOGFILE: report an audit that could not complete.
audit_failed() {
  local version="$1" tool="$2" logfile="$3"
  if [[ "$AUDITS" == require ]]; then
    cat "$logfile" >&2
    die "$version: $tool could not complete (FIXGATE_EXAMPLES_AUDITS=require)"
  fi
  log "warning: $version: $tool could not complete; keeping the committed reports/$version/$tool.json, if any:"
  grep -v -e '^WARNING:pip_audit' -e 'A complete log of this run' "$logfile" | tail -n 3 | sed 's/^/[regenerate]   /' >&2
}

run_audits() {
  local version="$1"
  local dir="$WORK/audit-$version"
  local src="$EXAMPLES_DIR/vulnshop/$version"
  mkdir -p "$dir/pip" "$dir/npm"
  cp "$src/requirements.txt" "$dir/pip/"
  cp "$src/package.json" "$src/package-lock.json" "$dir/npm/"

  # pip-audit: every requirement is pinned, so it needs neither pip nor a
  # dependency resolution (--no-deps --disable-pip); --strict makes a package
  # that the service does not know (or a service that does not answer) an
  # error instead of a silently skipped package. It exits 1 when it finds
  # vulnerabilities and when it fails; only a complete report counts.
  log "$version: pip-audit $PIP_AUDIT_VERSION (network)"
  (cd "$dir/pip" && "$PIP_AUDIT" --requirement requirements.txt --no-deps --disable-pip \
    --strict --vulnerability-service pypi --progress-spinner off \
    --cache-dir "$dir/pip-audit-cache" --format json --output pip-audit.json) \
    >"$dir/pip-audit.log" 2>&1 || true
  if [[ ! -f "$dir/pip/pip-audit.json" ]] || ! "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
sys.exit(any("skip_reason" in d for d in doc["dependencies"]))
' "$dir/pip/pip-audit.json" 2>>"$dir/pip-audit.log"; then
    rm -f "$dir/pip/pip-audit.json"
    audit_failed "$version" pip-audit "$dir/pip-audit.log"
  fi

  # npm audit reads the lock file only (nothing is installed) and exits 1 when
  # it finds vulnerabilities and when the advisory service fails; a complete
  # report has an auditReportVersion.
  log "$version: npm audit $("$NPM" --version) (network)"
  (cd "$dir/npm" && "$NPM" audit --json --package-lock-only \
    --cache "$dir/npm-cache" --no-update-notifier) \
    >"$dir/npm/npm-audit.json" 2>"$dir/npm-audit.log" || true
  if ! "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
sys.exit("auditReportVersion" not in doc)
' "$dir/npm/npm-audit.json" 2>>"$dir/npm-audit.log"; then
    mv "$dir/npm/npm-audit.json" "$dir/npm-audit-error.json"
    audit_failed "$version" npm-audit "$dir/npm-audit.log"
  fi
}

if [[ "$AUDITS" != skip ]]; then
  for version in "${VERSIONS[@]}"; do
    run_audits "$version"
  done
fi

# --- offline execution ----------------------------------------------------------

OFFLINE=()
if unshare -n true 2>/dev/null; then
  OFFLINE=(unshare -n)
elif unshare -rn true 2>/dev/null; then
  OFFLINE=(unshare -rn)
else
  log "warning: cannot create a network namespace; scanning with network features off by flag only"
fi

# Belt and braces, in case the namespace is not available (the flags below do the same).
export SEMGREP_SEND_METRICS=off SEMGREP_ENABLE_VERSION_CHECK=0

# run_scanner LOG OK_CODES CMD...: run offline, accept the listed exit codes
# (scanners exit 1 when they find something).
run_scanner() {
  local logfile="$1" ok="$2"
  shift 2
  local rc=0
  "${OFFLINE[@]}" "$@" >"$logfile" 2>&1 || rc=$?
  if [[ " $ok " != *" $rc "* ]]; then
    cat "$logfile" >&2
    die "$1 exited with $rc"
  fi
}

# --- scanning -------------------------------------------------------------------

REPO="$WORK/vulnshop"

# A git that ignores the user's and the system's configuration (hooks, signing,
# templates, autocrlf): only what is set here shapes the commits.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Vulnshop Demo" GIT_AUTHOR_EMAIL="demo@vulnshop.invalid"
export GIT_COMMITTER_NAME="Vulnshop Demo" GIT_COMMITTER_EMAIL="demo@vulnshop.invalid"
git init --quiet --initial-branch="$BRANCH" "$REPO"

scan() {
  local version="$1"
  local out="$REPORTS_DIR/$version"
  local logs="$WORK/logs-$version"
  mkdir -p "$out" "$logs"
  # The audits' reports stay until a new one replaces them (see run_audits).
  rm -f "$out"/*.sarif "$out/context.json" \
    "$out/bandit.json" "$out/semgrep.json" "$out/checkov.json" "$out/detect-secrets.json"

  log "$version: bandit $BANDIT_VERSION"
  run_scanner "$logs/bandit.log" "0 1" \
    "$BANDIT" -r . -f sarif -o "$out/bandit.sarif"
  # Bandit writes one format per run.
  run_scanner "$logs/bandit-json.log" "0 1" \
    "$BANDIT" -r . -f json -o "$out/bandit.json"

  log "$version: semgrep $SEMGREP_VERSION"
  run_scanner "$logs/semgrep.log" "0" \
    "$SEMGREP" scan --config "$EXAMPLES_DIR/semgrep-rules.yml" \
    --metrics=off --disable-version-check --no-rewrite-rule-ids \
    --sarif-output="$out/semgrep.sarif" --json-output="$out/semgrep.json" .

  # One run writes both reports. Without --quiet the JSON report lists the
  # passed and skipped checks besides the failed ones (the SARIF file is the
  # same either way).
  log "$version: checkov $CHECKOV_VERSION"
  run_scanner "$logs/checkov.log" "0" \
    "$CHECKOV" --directory . --framework terraform dockerfile \
    --skip-download --soft-fail --compact \
    --output sarif --output json --output-file-path "$WORK/checkov-$version"
  mv "$WORK/checkov-$version/results_sarif.sarif" "$out/checkov.sarif"
  mv "$WORK/checkov-$version/results_json.json" "$out/checkov.json"

  log "$version: eslint $("$ESLINT" --version)"
  run_scanner "$logs/eslint.log" "0 1" \
    "$ESLINT" --config "$ESLINT_CONFIG" --format "$ESLINT_SARIF" \
    --output-file "$out/eslint.sarif" .

  # detect-secrets scans the files that git tracks and prints its report.
  log "$version: detect-secrets $DETECT_SECRETS_VERSION"
  run_scanner "$logs/detect-secrets.log" "0" \
    sh -c '"$0" scan >"$1"' "$DETECT_SECRETS" "$out/detect-secrets.json"

  # The scanners must leave the scanned tree as committed.
  if [[ -n "$(git status --porcelain --ignored)" ]]; then
    git status --porcelain --ignored >&2
    die "a scanner changed the scanned tree"
  fi

  local forbid=(--forbid "$WORK" --forbid "$CACHE_DIR" --forbid "$EXAMPLES_DIR")
  "$PYTHON" "$TOOLS_DIR/normalize_sarif.py" --root "$REPO" "${forbid[@]}" \
    "$out/bandit.sarif" "$out/semgrep.sarif" "$out/eslint.sarif"
  # Checkov runs its checks in parallel and writes results in a different
  # order on every run: sort them.
  "$PYTHON" "$TOOLS_DIR/normalize_sarif.py" --root "$REPO" "${forbid[@]}" --sort \
    "$out/checkov.sarif"
  local tool
  for tool in bandit semgrep checkov detect-secrets; do
    "$PYTHON" "$TOOLS_DIR/normalize_json.py" --root "$REPO" "${forbid[@]}" \
      --tool "$tool" "$out/$tool.json"
  done

  # The audits ran on the manifests before the scans (with network).
  for tool in pip-audit npm-audit; do
    local report="$WORK/audit-$version/${tool%-audit}/$tool.json"
    if [[ -f "$report" ]]; then
      "$PYTHON" "$TOOLS_DIR/normalize_json.py" --root "$WORK/audit-$version/${tool%-audit}" \
        "${forbid[@]}" --tool "$tool" "$report"
      mv "$report" "$out/$tool.json"
    fi
  done

  "$PYTHON" - "$out/context.json" "$(git rev-parse HEAD)" <<EOF
import json, sys
context = {
    "application": "$APPLICATION",
    "repository": "$REPOSITORY_URL",
    "branch": "$BRANCH",
    "commit": sys.argv[2],
}
with open(sys.argv[1], "w", encoding="utf-8", newline="\n") as fh:
    json.dump(context, fh, indent=2)
    fh.write("\n")
EOF
}

# commit_version VERSION DATE MESSAGE: make the work tree exactly vulnshop/VERSION.
commit_version() {
  local version="$1" date="$2" message="$3"
  find "$REPO" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
  cp -R "$EXAMPLES_DIR/vulnshop/$version/." "$REPO/"
  # Byte-code caches or editor litter in the source tree would change the SHA.
  find "$REPO" -path "$REPO/.git" -prune -o \
    \( -name __pycache__ -o -name '*.pyc' -o -name .DS_Store \) -prune -exec rm -rf {} +
  # Only the executable bit reaches git; make it the same everywhere.
  find "$REPO" -path "$REPO/.git" -prune -o -type f -exec chmod 0644 {} +
  git add --all
  GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date" \
    git commit --quiet --no-verify --no-gpg-sign -m "$message"
  log "$version: commit $(git rev-parse HEAD)"
}

cd "$REPO"
commit_version v1 "2024-05-01T09:00:00+00:00" "vulnshop: first release"
scan v1
commit_version v2 "2024-05-08T09:00:00+00:00" "vulnshop: fix SQL injection, weak hashing, public bucket and eval"
scan v2

log "reports written to $REPORTS_DIR"
