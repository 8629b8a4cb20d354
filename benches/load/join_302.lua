-- wrk script for the upgrade bench: counts every answer that is not a 302 to the expected
-- location (a `200 FAILED` is a failure, which wrk's own "Non-2xx or 3xx" count misses).
-- Usage: wrk ... -s benches/load/join_302.lua URL -- EXPECTED_LOCATION
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  expected = args[1]
  bad = 0
end

function response(status, headers, body)
  if status ~= 302 or (expected and headers["Location"] ~= expected) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do
    total = total + t:get("bad")
  end
  io.write(string.format("wrong answers: %d\n", total))
end
