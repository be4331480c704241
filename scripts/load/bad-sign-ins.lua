-- wrk script for sign-in-burst.sh: wrong-password sign-ins, each with a
-- double-submit CSRF field matching its cookie, so every attempt the rate
-- limit lets through reaches the password check. At the end it prints one
-- line a status (`status CODE COUNT`) and one summary line, for the shell
-- script to read.

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

-- Arguments after `--`: the person's name.
function init(args)
    name = args[1] or "load-tester"
    csrf = "0123456789abcdef0123456789abcdef"
    sent = 0
    counts = {}
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.headers["Cookie"] = "__Host-fixgate_signin=" .. csrf
end

-- A different wrong password each time, as a password-guessing client sends.
function request()
    sent = sent + 1
    local body = "name=" .. name .. "&password=wrong-guess-" .. sent .. "&csrf=" .. csrf
    return wrk.format(nil, "/login", nil, body)
end

function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
    local total = {}
    for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("counts")) do
            total[status] = (total[status] or 0) + count
        end
    end
    for status, count in pairs(total) do
        io.write(string.format("status %d %d\n", status, count))
    end
    local errors = summary.errors
    io.write(string.format(
        "summary requests=%d seconds=%.3f socket_errors=%d timeouts=%d p50_ms=%.2f p99_ms=%.2f\n",
        summary.requests,
        summary.duration / 1e6,
        errors.connect + errors.read + errors.write,
        errors.timeout,
        latency:percentile(50) / 1000,
        latency:percentile(99) / 1000
    ))
end
