-- wrk script for HTTP/1.1 pipelining (bench/http.sh's -pipelined points): each connection
-- writes `depth` requests at once (wrk ... -s bench/pipeline.lua URL -- depth; 8 by default)
-- and wrk counts every response. The client then makes one write and a few reads for
-- `depth` requests, so a one-core client saturates the server rather than itself; the
-- TechEmpower plaintext benchmark pipelines for the same reason.
init = function(args)
  local depth = tonumber(args[1]) or 8
  local r = {}
  for i = 1, depth do r[i] = wrk.format(nil) end
  req = table.concat(r)
end

request = function() return req end
