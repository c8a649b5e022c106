-- wrk script for plain GETs: requests stay static (no request()/response() here, so wrk
-- sends one prebuilt request and never parses bodies); done() only prints one
-- machine-readable line for bench/edge_http.sh.
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "GET requests=%d req_per_s=%.1f duration_s=%.3f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f " ..
    "max_ms=%.3f status_ge_400=%d sock_connect=%d sock_read=%d sock_write=%d timeouts=%d\n",
    summary.requests, summary.requests / secs, secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
