-- wrk script for `python -m bench`: POST one GraphQL body, count GraphQL errors, print JSON.
-- Usage: wrk [-H 'Authorization: Bearer TOKEN'] -s wrk.lua URL -- BODY_FILE
-- Headers given with -H (the runner's, for a gateway that gets a token) are sent besides the
-- two set here.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.method = "POST"
  wrk.body = file:read("*a")
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  file:close()
  graphql_errors = 0
  responses = 0
end

function response(status, headers, body)
  responses = responses + 1
  if status == 200 and string.find(body, '"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, requests)
  local graphql = 0
  for _, thread in ipairs(threads) do
    graphql = graphql + thread:get("graphql_errors")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_s": %.6f, "p50_ms": %.4f, "p95_ms": %.4f, '
      .. '"p99_ms": %.4f, "max_ms": %.4f, "errors": {"connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d, "graphql": %d}}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, e.connect, e.read, e.write, e.status, e.timeout, graphql))
end
