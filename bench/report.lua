-- Prints one machine-readable line at the end of a wrk run; bench/run.py parses it.
-- Latencies are in microseconds, as wrk measures them. "ok", "refused" and "bad" are
-- counted by the POST scenarios (post.lua): the expected answer, a 400, anything else.
threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local function extra_counts()
  local ok, refused, bad = 0, 0, 0
  for _, thread in ipairs(threads) do
    ok = ok + (thread:get("ok") or 0)
    refused = refused + (thread:get("refused") or 0)
    bad = bad + (thread:get("bad") or 0)
  end
  return ok, refused, bad
end

function done(summary, latency, requests)
  local ok, refused, bad = extra_counts()
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}, ' ..
    '"ok": %d, "refused": %d, "bad": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max, ok, refused, bad))
end
