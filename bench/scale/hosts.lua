-- wrk script for bench/scale: each request goes to the next tenant host of a list (its path
-- the runner's), every thread starting at its own place in it; counts responses by status and
-- prints one machine-readable line with p50, p95 and p99 at the end.
-- Arguments (after --): the file with one host per line, then the path.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter)
  table.insert(threads, thread)
end

function init(args)
  hosts = {}
  for line in io.lines(args[1]) do
    table.insert(hosts, line)
  end
  path = args[2]
  position = (offset * 7919) % #hosts
  ok = 0
  other = 0
end

function request()
  position = position % #hosts + 1
  return wrk.format("GET", path, { Host = hosts[position] })
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
      .. " timeout=%d status=%d p50_us=%d p95_us=%d p99_us=%d\n",
    summary.requests, summary.duration, total_ok, total_other, errors.connect, errors.read,
    errors.write, errors.timeout, errors.status, latency:percentile(50), latency:percentile(95),
    latency:percentile(99)
  ))
end
