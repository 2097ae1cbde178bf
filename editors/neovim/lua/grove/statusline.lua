-- The server's status: the latest one (pushed as `grove/status`, which fires `User GroveStatus`,
-- or asked for by :GroveStatus), the short text for a statusline, and the :GroveStatus float.

local inline = require('grove.inline')
local server = require('grove.server')
local ui = require('grove.ui')

local M = {}

--- The server's latest status (pushed as `grove/status`, or from :GroveStatus).
---@type table?
M.last_status = nil

--- Handler of the `grove/status` push: remember it and fire `User GroveStatus`.
---@param status table
function M.on_status(status)
  if type(status) ~= 'table' then
    return
  end
  M.last_status = status
  vim.api.nvim_exec_autocmds('User', { pattern = 'GroveStatus', modeline = false, data = status })
end

--- A short status for a statusline: '' without a Grove client for the buffer, else
--- 'Grove', 'Grove …' (the model is writing), 'Grove off' (completions off) or
--- 'Grove ✗ <error>'.
---@param max_error? integer  cut the error to this many characters (default 40)
---@return string
function M.text(max_error)
  if #vim.lsp.get_clients({ name = server.NAME, bufnr = vim.api.nvim_get_current_buf() }) == 0 then
    return ''
  end
  local status = M.last_status
  if not status then
    return 'Grove'
  end
  local err = status.lastError
  if type(err) == 'string' and err ~= '' then
    max_error = max_error or 40
    if vim.fn.strchars(err) > max_error then
      err = vim.fn.strcharpart(err, 0, max_error - 1) .. '…'
    end
    return 'Grove ✗ ' .. err
  end
  if status.busy == true then
    return 'Grove …'
  end
  if status.completionEnabled == false or not inline.enabled then
    return 'Grove off'
  end
  return 'Grove'
end

local function status_lines(status)
  local lines = { '# Grove status', '' }
  local keys = vim.tbl_keys(status)
  table.sort(keys)
  for _, key in ipairs(keys) do
    local value = status[key]
    if value == vim.NIL or value == nil then
      value = '—'
    elseif type(value) == 'table' then
      value = vim.inspect(value)
    end
    table.insert(lines, ('- **%s**: %s'):format(key, tostring(value)))
  end
  return lines
end

--- :GroveStatus — the server's grove.status in a float.
function M.show()
  return server.execute('grove.status', {}, function(result)
    M.last_status = result
    if type(result) ~= 'table' then
      ui.notify('status: ' .. vim.inspect(result))
      return
    end
    ui.float(status_lines(result), 'grove_status')
  end)
end

return M
