-- wrk script: HTTP announces over the info-hashes listed (40 hex per line) in the file given after `--`.
-- Random peer ids and ports, 30 % left=0 (seeders), mixed events, compact=1&numwant=50.
-- done() prints one JSON line: requests, duration (us), errors, non-2xx, p50/p99 latency (us).

local hashes = {}

local function escape_bytes(raw)
  return (raw:gsub('.', function(c) return string.format('%%%02X', c:byte()) end))
end

local ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

function init(args)
  local f = assert(io.open(args[1], 'r'))
  for line in f:lines() do
    if #line == 40 then
      hashes[#hashes + 1] = escape_bytes((line:gsub('..', function(h) return string.char(tonumber(h, 16)) end)))
    end
  end
  f:close()
  -- one seed per thread: the table address differs between threads
  math.randomseed(os.time() + tonumber(tostring({}):match('0x(%x+)') or '0', 16) % 100000)
end

local function peer_id()
  local t = { '-WR0410-' }
  for i = 1, 12 do
    local k = math.random(#ALNUM)
    t[#t + 1] = ALNUM:sub(k, k)
  end
  return table.concat(t)
end

function request()
  local left = 0
  if math.random() >= 0.3 then left = math.random(1, 1000000000) end
  local r = math.random()
  local event = ''
  if r < 0.10 then event = '&event=started'
  elseif r < 0.15 then event = '&event=completed'
  elseif r < 0.20 then event = '&event=stopped' end
  local path = '/announce?info_hash=' .. hashes[math.random(#hashes)] .. '&peer_id=' .. peer_id() ..
    '&port=' .. math.random(1024, 65535) .. '&uploaded=0&downloaded=0&left=' .. left .. event ..
    '&compact=1&numwant=50'
  return wrk.format('GET', path)
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"non2xx":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status, latency:percentile(50), latency:percentile(99)))
end
