-- Response post-processing for the Lua feature contract.

function summarize(resp)
  local data = resp:data()
  local items = data:get("collection")
  local n = items:len()
  data:set("total", n)
  local paths = {}
  for i = 0, n - 1 do
    table.insert(paths, items:get(i):get("path"))
  end
  data:set("paths", paths)
  data:del("collection")
end

function teapot()
  custom_error('{"msg":"no coffee here, I am a teapot"}', 418, "application/json")
end

function spin()
  local i = 0
  while true do i = i + 1 end
end
