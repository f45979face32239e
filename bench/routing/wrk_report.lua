-- wrk script of the HTTP benchmarks: counts responses by status in every thread and prints one
-- machine-readable line at the end (p50, p95, p99), so that a single non-200 response fails the
-- run. Given arguments (after --), a file with one host per line and a path, each request goes
-- to the next host of the list instead (bench/scale), starting at a random place.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  other = 0
  if args[1] then
    local hosts = {}
    for line in io.lines(args[1]) do
      table.insert(hosts, line)
    end
    local path = args[2]
    -- Each run and thread starts at a place of its own, so that runs do not all revisit the
    -- first hosts of the list.
    math.randomseed(os.time() * 97 + offset)
    local position = math.random(#hosts) - 1
    -- Defined only here: without it wrk sends its one prepared request, at no cost in Lua.
    request = function()
      position = position % #hosts + 1
      return wrk.format("GET", path, { Host = hosts[position] })
    end
  end
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
