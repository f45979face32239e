-- wrk script for run.py: counts responses by status in every thread and prints one
-- machine-readable line at the end, so that a single non-200 response fails the run.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  other = 0
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_other = 0, 0
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_other = total_other + thread:get("other")
  end
  local errors = summary.errors
  io.write(string.format(
    "BENCH-RESULT requests=%d duration_us=%d ok=%d non200=%d connect=%d read=%d write=%d"
      .. " timeout=%d status=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, total_ok, total_other, errors.connect, errors.read,
    errors.write, errors.timeout, errors.status, latency:percentile(50), latency:percentile(99)
  ))
end
