-- wrk script: GET a random notebook of a deployment, as a partner with a token and a purpose.
-- Reads the notebook ids from /tmp/bench-ids and the token from /tmp/bench-token (see BENCHMARKS.md).
local ids = {}
for line in io.lines("/tmp/bench-ids") do ids[#ids + 1] = line end
local token = io.open("/tmp/bench-token"):read("*l")
math.randomseed(42)
request = function()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/v1/notebooks/" .. id, {["Authorization"] = "Bearer " .. token, ["X-Purpose"] = "benchmark"})
end
done = function(summary, latency, requests)
  io.write(string.format("requests/s: %.0f  p50: %.2f ms  p99: %.2f ms  errors: %d non2xx: %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
