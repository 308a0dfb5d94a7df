-- Globals: `loaded` is defined when the state loads this file; `bump` and the post snippet
-- assign globals on every call (directly, through `_G` and with `rawset`). Each request must start afresh.
loaded = 0

function bump(r)
  loaded = loaded + 1
  seen = (seen or 0) + 1
  _G.via_g = (_G.via_g or 0) + 1
  rawset(_G, 'raw', (rawget(_G, 'raw') or 0) + 1)
  local d = r:data()
  d:set('loaded', loaded)
  d:set('seen', seen)
  d:set('via_g', via_g)
  d:set('raw', raw)
end
