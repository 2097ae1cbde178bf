-- A floating window that shows an explanation while the server writes it. The command carries a
-- `stream` token; the server's `grove/explanationProgress` notifications ({token, markdown}, the
-- whole text so far) refill the float, and the command's result is the final text.

local M = {}

--- Open floats by token: { buf, win, title }.
---@type table<string, { buf: integer, win: integer, title: string }>
M.views = {}

local counter = 0

--- A token unique to this Neovim.
---@return string
function M.new_token()
  counter = counter + 1
  return ('grove-%d-%d'):format(vim.fn.getpid(), counter)
end

---@param title string
---@param markdown string
---@return string[]
local function lines_for(title, markdown)
  return vim.split(('# %s\n\n%s'):format(title, markdown), '\n', { plain = true })
end

local function max_width()
  return math.max(40, math.floor(vim.o.columns * 0.8))
end

--- The float's size for `lines` (wrapped lines count for as many rows as they take).
---@param lines string[]
---@return integer width, integer height
local function size(lines)
  local width = 1
  for _, line in ipairs(lines) do
    width = math.max(width, vim.fn.strdisplaywidth(line))
  end
  width = math.min(width, max_width())
  local height = 0
  for _, line in ipairs(lines) do
    height = height + math.max(1, math.ceil(vim.fn.strdisplaywidth(line) / width))
  end
  return width, math.max(1, math.min(height, vim.o.lines - 4))
end

---@param title string
---@param markdown string
---@return integer buf, integer win
local function open_float(title, markdown)
  return vim.lsp.util.open_floating_preview(lines_for(title, markdown), 'markdown', {
    border = 'rounded',
    focus_id = 'grove_' .. title:lower(),
    max_width = max_width(),
  })
end

--- Open the float for a starting command.
---@param token string
---@param title string
function M.open(token, title)
  local buf, win = open_float(title, '_Waiting for the model…_')
  M.views[token] = { buf = buf, win = win, title = title }
end

--- Replace the float's text (ignored once the user closed the float).
---@param token string
---@param markdown string
---@return boolean shown
function M.update(token, markdown)
  local view = M.views[token]
  if not view then
    return false
  end
  if not (vim.api.nvim_win_is_valid(view.win) and vim.api.nvim_buf_is_valid(view.buf)) then
    return false
  end
  local lines = lines_for(view.title, markdown)
  vim.bo[view.buf].modifiable = true
  vim.api.nvim_buf_set_lines(view.buf, 0, -1, false, lines)
  vim.bo[view.buf].modifiable = false
  local width, height = size(lines)
  vim.api.nvim_win_set_config(view.win, { width = width, height = height })
  return true
end

--- The command finished: show the final text (reopening the float if it was closed).
---@param token string
---@param title string
---@param markdown string
function M.finish(token, title, markdown)
  if not M.update(token, markdown) then
    open_float(title, markdown)
  end
  M.views[token] = nil
end

--- The command failed: say so in the float, if it is still open.
---@param token string
---@param message string
function M.fail(token, message)
  M.update(token, '**Grove could not finish:** ' .. message)
  M.views[token] = nil
end

--- Handler for the server's `grove/explanationProgress` notification.
---@param params { token: string, markdown: string }
function M.on_progress(_, params)
  if type(params) == 'table' and type(params.token) == 'string' then
    vim.schedule(function()
      if type(params.markdown) == 'string' then
        M.update(params.token, params.markdown)
      end
    end)
  end
end

return M
