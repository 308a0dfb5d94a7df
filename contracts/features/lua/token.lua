-- Reads the numeric `id` claim of a bearer JWT (payload only: the gateway does not verify it
-- here) and appends it to the backend URL.

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

-- base64url without padding -> bytes
function b64url_decode(s)
  s = s:gsub("%+", "-"):gsub("/", "_"):gsub("=", "")
  local out, bits, nbits = {}, 0, 0
  for i = 1, #s do
    local v = alphabet:find(s:sub(i, i), 1, true)
    if v == nil then error("bad base64 character") end
    bits = bits * 64 + (v - 1)
    nbits = nbits + 6
    if nbits >= 8 then
      nbits = nbits - 8
      local byte = math.floor(bits / (2 ^ nbits))
      bits = bits - byte * (2 ^ nbits)
      table.insert(out, string.char(byte))
    end
  end
  return table.concat(out)
end

function claim_id(authorization)
  local payload = authorization:match("^[Bb]earer [^.]+%.([^.]+)%.")
  if payload == nil then return nil end
  return b64url_decode(payload):match('"id"%s*:%s*(%d+)')
end

function add_user_id(req)
  local id = claim_id(req:headers("Authorization"))
  if id == nil then
    custom_error("no id claim", 401)
  end
  req:url(req:url() .. id)
end
