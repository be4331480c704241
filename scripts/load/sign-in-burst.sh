#!/usr/bin/env bash
# A burst of wrong-password sign-ins against a real fixgate server while
# legitimate clients keep working: does the sign-in limit hold, and do the
# API and the health check stay quick and error-free?
#
# It builds the release binary if needed, makes a fresh data folder with one
# person (security role, in team load-team), the example application's v1
# Bandit and Semgrep reports and a viewer token, then starts
# `fixgate serve` on 127.0.0.1 (a port the system picks, unless PORT is set).
# Two phases follow:
#   1. baseline: only legitimate requests, BASELINE seconds;
#   2. burst: wrk sends wrong-password sign-ins (with a matching CSRF field
#      and cookie) from CONNECTIONS connections for DURATION seconds, while
#      the same legitimate requests go on.
# Legitimate requests are two curl clients at LEGIT_RATE requests a second
# each, over keep-alive connections: GET /api/v1/tickets with the token and
# GET /healthz.
#
# It is a measurement, not a test CI runs: see docs/load-testing.md.
#
# Settings (environment): DURATION (15), BASELINE (5), CONNECTIONS (64),
# THREADS (2, wrk's), SIGN_INS_PER_MINUTE (10), LEGIT_RATE (20), PORT (0),
# FIXGATE_BIN (skip the build and use this binary), FIXGATE_LOG (warn).
#
# Exit codes: 0 the limit held and every legitimate request succeeded;
# 1 one of them did not; 2 error (a missing tool, a failed build, a server
# that did not start).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

duration="${DURATION:-15}"
baseline="${BASELINE:-5}"
connections="${CONNECTIONS:-64}"
threads="${THREADS:-2}"
limit="${SIGN_INS_PER_MINUTE:-10}"
legit_rate="${LEGIT_RATE:-20}"
port="${PORT:-0}"
name="load-tester"
password="load test password, not a secret"
commit="91ecd575b074204761f99f4e1f30b48a180dfa69"

die() {
    echo "sign-in-burst: $*" >&2
    exit 2
}

command -v wrk >/dev/null || die "wrk is missing (Debian: apt-get install -y wrk)"
command -v curl >/dev/null || die "curl is missing"

work="$(mktemp -d)"
server_pid=""
client_pids=()

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    for pid in "${client_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        # SIGINT is the server's Ctrl-C: it finishes the requests under way.
        kill -INT "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

fixgate_binary() {
    if [[ -n "${FIXGATE_BIN:-}" ]]; then
        echo "$FIXGATE_BIN"
        return
    fi
    local target="${CARGO_TARGET_DIR:-target}"
    [[ "$target" == /* ]] || target="$root/$target"
    (cd "$root" && cargo build --release --locked --bin fixgate) >&2 || die "the build failed"
    echo "$target/release/fixgate"
}

bin="$(fixgate_binary)"
[[ -x "$bin" ]] || die "no fixgate binary at $bin"
data="$work/data"

fixgate() {
    "$bin" --data-dir "$data" "$@"
}

# One person, the example application's tickets, and a viewer token.
setup_store() {
    printf '%s\n' "$password" |
        fixgate admin create-user "$name" --role security --team load-team --password-stdin \
            >/dev/null
    local report
    for report in bandit.sarif semgrep.sarif; do
        fixgate import "$root/examples/reports/v1/$report" --app vulnshop \
            --repo https://github.com/fixgate-demo/vulnshop --branch main --commit "$commit" \
            >/dev/null
    done
    fixgate admin add-owner --app vulnshop --team load-team >/dev/null
    fixgate admin create-token --user "$name" --role viewer --json |
        grep -o 'fgt_[0-9a-f]\{64\}' | head -n 1
}

# Starts the server and waits until /healthz answers; sets `base` to its
# URL. (Not in a subshell: the exit trap must know the server's pid.)
start_server() {
    # The binary itself, not the `fixgate` function: `$!` must be its pid.
    "$bin" --data-dir "$data" serve --listen "127.0.0.1:$port" --sign-ins-per-minute "$limit" \
        --log "${FIXGATE_LOG:-warn}" >"$work/server.out" 2>"$work/server.err" &
    server_pid=$!
    base=""
    for _ in $(seq 200); do
        kill -0 "$server_pid" 2>/dev/null || die "the server stopped: $(cat "$work/server.err")"
        base="$(sed -n 's|^fixgate is listening on \(http://127\.0\.0\.1:[0-9]*\)/$|\1|p' \
            "$work/server.out")"
        if [[ -n "$base" ]] && curl -fsS --max-time 1 "$base/healthz" >/dev/null 2>&1; then
            return
        fi
        sleep 0.05
    done
    die "the server did not answer /healthz"
}

# GET `url` at `legit_rate` a second for `seconds`, over one keep-alive
# connection; each line of `out` is `STATUS SECONDS`. Extra arguments go to
# curl (a header). Run in the background, it becomes curl, so its pid is
# curl's.
legit_client() {
    local url="$1" seconds="$2" out="$3"
    shift 3
    local args=() i
    for ((i = 0; i < seconds * legit_rate; i++)); do
        args+=(-o /dev/null "$url")
    done
    exec curl -s --rate "$legit_rate/s" --max-time 5 -w '%{http_code} %{time_total}\n' "$@" \
        "${args[@]}" >"$out"
}

# Runs both legitimate clients for `seconds`, in the background, writing
# `$work/PHASE-tickets` and `$work/PHASE-healthz`.
start_legit_clients() {
    local phase="$1" seconds="$2"
    legit_client "$base/api/v1/tickets" "$seconds" "$work/$phase-tickets" \
        -H "Authorization: Bearer $token" &
    client_pids+=($!)
    legit_client "$base/healthz" "$seconds" "$work/$phase-healthz" &
    client_pids+=($!)
}

wait_legit_clients() {
    local pid
    for pid in "${client_pids[@]}"; do
        wait "$pid" || true
    done
    client_pids=()
}

# One line of latency figures for a client's output file.
latency_line() {
    local label="$1" file="$2"
    sort -n -k2 "$file" | awk -v label="$label" '
        { t[NR] = $2 * 1000; if ($1 != "200") errors++ }
        END {
            n = NR
            if (n == 0) { printf "  %-34s no requests\n", label; exit }
            p50 = t[int((n * 50 + 99) / 100)]
            p99 = t[int((n * 99 + 99) / 100)]
            printf "  %-34s %5d requests  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  errors %d\n",
                label, n, p50, p99, t[n], errors + 0
        }'
}

# Requests whose answer was not 200 (000: no answer at all).
failures() {
    awk '$1 != "200"' "$@" | wc -l
}

# The count after `status CODE` in wrk's output, 0 when absent.
status_count() {
    awk -v code="$1" '$1 == "status" && $2 == code { n += $3 } END { print n + 0 }' "$work/wrk.out"
}

summary_field() {
    sed -n "s/.* $1=\([0-9.]*\).*/\1/p" "$work/wrk.out"
}

token="$(setup_store)" || die "setting up the store failed"
[[ -n "$token" ]] || die "no token was created"
start_server
tickets="$(curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/tickets" |
    sed -n 's/^{"total":\([0-9]*\).*/\1/p')"
[[ "${tickets:-0}" -gt 0 ]] || die "the token sees no ticket"

echo "fixgate sign-in burst on $base ($(nproc) cores): $connections connections for ${duration}s," \
    "limit $limit sign-ins a minute per address; the token sees $tickets tickets"

start_legit_clients baseline "$baseline"
wait_legit_clients

burst_started="$(date +%s.%N)"
start_legit_clients burst "$duration"
wrk --threads "$threads" --connections "$connections" --duration "${duration}s" --timeout 10s \
    --script "$here/bad-sign-ins.lua" "$base/login" -- "$name" >"$work/wrk.out" 2>&1 ||
    die "wrk failed: $(cat "$work/wrk.out")"
wait_legit_clients
burst_seconds="$(awk -v s="$burst_started" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')"

requests="$(summary_field requests)"
seconds="$(summary_field seconds)"
[[ -n "$requests" && -n "$seconds" ]] || die "wrk printed no summary: $(cat "$work/wrk.out")"
refused="$(status_count 429)"
checked="$(status_count 401)"
other=$((requests - refused - checked))
# The limiter's burst, plus what it refills over the burst's time, plus one
# for a refill that lands at the edge.
allowed="$(awk -v l="$limit" -v s="$burst_seconds" 'BEGIN { print l + int(l * s / 60) + 1 }')"

awk -v r="$requests" -v s="$seconds" -v a="$refused" -v b="$checked" -v o="$other" '
    BEGIN {
        printf "bad sign-ins: %d requests in %.1f s = %.0f requests/s\n", r, s, r / s
        printf "  429 (limited)          %8d  %8.4f%%\n", a, 100 * a / r
        printf "  401 (password checked) %8d  %8.4f%%\n", b, 100 * b / r
        printf "  other                  %8d  %8.4f%%\n", o, 100 * o / r
    }'
echo "  wrk latency p50 $(summary_field p50_ms) ms, p99 $(summary_field p99_ms) ms;" \
    "socket errors $(summary_field socket_errors), timeouts $(summary_field timeouts)"
echo "legitimate requests, ${legit_rate}/s each:"
latency_line "GET /api/v1/tickets, no burst" "$work/baseline-tickets"
latency_line "GET /healthz, no burst" "$work/baseline-healthz"
latency_line "GET /api/v1/tickets, during burst" "$work/burst-tickets"
latency_line "GET /healthz, during burst" "$work/burst-healthz"

verdict=0
failed="$(failures "$work"/baseline-* "$work"/burst-*)"
if ((failed > 0)); then
    echo "FAIL: $failed legitimate requests did not get a 200"
    verdict=1
fi
if ((checked > allowed)); then
    echo "FAIL: $checked sign-ins reached the password check; the limit allows $allowed"
    verdict=1
fi
if ((refused == 0 || other > 0)); then
    echo "FAIL: the burst got $refused answers 429 and $other neither 429 nor 401"
    verdict=1
fi
if ((verdict == 0)); then
    echo "PASS: $checked of $requests sign-ins reached the password check (at most $allowed" \
        "allowed); every legitimate request got a 200"
fi
exit "$verdict"
