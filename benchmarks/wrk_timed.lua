-- wrk script for benchmarks/harness.py: one connection per thread, every request timed on the client.
-- WRK_BODIES=<prefix>: thread n POSTs the JSON lines of <prefix>.n in turn (else it GETs the URL).
-- WRK_OUT=<file>: at the end, one line per answer: thread, sent µs, answered µs, status.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } wrk_timespec;
int clock_gettime(int clock, wrk_timespec *now);
]]
local clock = ffi.new("wrk_timespec")
local function now_us()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC: comparable across threads
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local bodies, next_body, sent_at = {}, 0, 0
timings = {}
function init(args)
  local prefix = os.getenv("WRK_BODIES")
  if prefix then
    for line in io.lines(prefix .. "." .. id) do
      bodies[#bodies + 1] = line
    end
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
end

function request()
  sent_at = now_us()
  if #bodies == 0 then
    return wrk.format()
  end
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end

function response(status, headers, body)
  timings[#timings + 1] = string.format("%d %.1f %.1f %d", id, sent_at, now_us(), status)
end

function done(summary, latency, requests)
  local out = io.open(os.getenv("WRK_OUT"), "w")
  for _, thread in ipairs(threads) do
    for _, line in ipairs(thread:get("timings")) do
      out:write(line, "\n")
    end
  end
  out:close()
end
