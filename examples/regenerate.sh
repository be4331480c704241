#!/usr/bin/env bash
# Regenerate the example scanner reports in examples/reports/{v1,v2}/.
#
# 1. Installs pinned scanners into a cache outside the repository
#    (${FIXGATE_EXAMPLES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fixgate-examples}).
#    This is the only step that uses the network (PyPI and the npm registry).
# 2. Builds a throwaway git repository in a temporary directory, commits
#    examples/vulnshop/v1 with fixed names and dates (so the commit SHA is the
#    same on every machine), scans it, then replaces the tree with
#    examples/vulnshop/v2, commits again and scans again.
# 3. Post-processes the SARIF files (relative paths, no timestamps) and writes
#    context.json next to them.
#
# Scans run without network: inside a new network namespace (unshare -n) when
# the machine allows one, otherwise with every scanner's own network features
# switched off by flags.
set -euo pipefail

EXAMPLES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
CACHE_DIR="${FIXGATE_EXAMPLES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fixgate-examples}"
PYTHON="${PYTHON:-python3}"
TOOLS_DIR="$EXAMPLES_DIR/tools"
REPORTS_DIR="$EXAMPLES_DIR/reports"

BANDIT_VERSION=1.9.4
SEMGREP_VERSION=1.187.0
CHECKOV_VERSION=3.3.30
# ESLint and its plugins are pinned in tools/package.json and tools/package-lock.json.

APPLICATION=vulnshop
REPOSITORY_URL=https://github.com/fixgate-demo/vulnshop
BRANCH=main

log() { printf '[regenerate] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v git >/dev/null || die "git is required"
command -v "$PYTHON" >/dev/null || die "$PYTHON is required"
command -v npm >/dev/null || die "npm (with node) is required"

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
    log "installing ESLint toolchain into $dir"
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
setup_node

BANDIT="$CACHE_DIR/venv-bandit/bin/bandit"
SEMGREP="$CACHE_DIR/venv-semgrep/bin/semgrep"
CHECKOV="$CACHE_DIR/venv-checkov/bin/checkov"
ESLINT="$CACHE_DIR/node/node_modules/.bin/eslint"
ESLINT_CONFIG="$CACHE_DIR/node/eslint.config.mjs"
ESLINT_SARIF="$CACHE_DIR/node/node_modules/@microsoft/eslint-formatter-sarif/sarif.js"

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
export NO_COLOR=1 TZ=UTC LC_ALL=C.UTF-8

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

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
WORK="$(cd "$WORK" && pwd -P)"
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
  rm -f "$out"/*.sarif "$out/context.json"

  log "$version: bandit $BANDIT_VERSION"
  run_scanner "$logs/bandit.log" "0 1" \
    "$BANDIT" -r . -f sarif -o "$out/bandit.sarif"

  log "$version: semgrep $SEMGREP_VERSION"
  run_scanner "$logs/semgrep.log" "0" \
    "$SEMGREP" scan --config "$EXAMPLES_DIR/semgrep-rules.yml" \
    --metrics=off --disable-version-check --no-rewrite-rule-ids \
    --sarif --output "$out/semgrep.sarif" .

  log "$version: checkov $CHECKOV_VERSION"
  run_scanner "$logs/checkov.log" "0" \
    "$CHECKOV" --directory . --framework terraform dockerfile \
    --skip-download --soft-fail --compact --quiet \
    --output sarif --output-file-path "$WORK/checkov-$version"
  mv "$WORK/checkov-$version/results_sarif.sarif" "$out/checkov.sarif"

  log "$version: eslint $("$ESLINT" --version)"
  run_scanner "$logs/eslint.log" "0 1" \
    "$ESLINT" --config "$ESLINT_CONFIG" --format "$ESLINT_SARIF" \
    --output-file "$out/eslint.sarif" .

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
