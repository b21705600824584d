-- Mixed traffic for wrk (bench/mixed.sh): each request is a page chosen at
-- random from PATHS_FILE ("<story id> <path>" per line) or, with probability
-- BEACON_PCT %, a view beacon for a random story from a random reader
-- (COOKIES_FILE: one signed reader cookie value per line). STATIC=1 sends
-- beacons to /v.gif (nginx's copy of the beacon's bytes).
local ids, paths, cookies = {}, {}, {}
local beacon_pct = tonumber(os.getenv("BEACON_PCT") or "0")
local static = os.getenv("STATIC") == "1"

function init(args)
  local seed = os.time()
  for i = 1, #tostring({}) do seed = seed + string.byte(tostring({}), i) end
  math.randomseed(seed)
  for line in io.lines(os.getenv("PATHS_FILE")) do
    local id, p = line:match("^(%d+) (.+)$")
    if id then ids[#ids + 1] = id; paths[#paths + 1] = p end
  end
  if beacon_pct > 0 and not static then
    for line in io.lines(os.getenv("COOKIES_FILE")) do cookies[#cookies + 1] = line end
  end
end

function request()
  local i = math.random(#paths)
  if beacon_pct > 0 and math.random(100) <= beacon_pct then
    if static then return wrk.format("GET", "/v.gif") end
    -- wrk.format takes the headers given instead of wrk.headers: keep the
    -- User-Agent from the command line (without one, a beacon is a bot's).
    local h = {}
    for k, v in pairs(wrk.headers) do h[k] = v end
    h["Cookie"] = "bsr=" .. cookies[math.random(#cookies)]
    return wrk.format("GET", "/v/" .. ids[i] .. ".gif", h)
  end
  return wrk.format("GET", paths[i])
end
