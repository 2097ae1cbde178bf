-- Inline completions: which renderer shows them (Neovim's vim.lsp.inline_completion or Grove's
-- extmark renderer, lua/grove/ghost.lua), turning them on per buffer, and accepting (all, a word,
-- a line), cycling and dismissing the suggestion shown.

local config = require('grove.config')
local server = require('grove.server')
local ui = require('grove.ui')

local M = {}

--- Whether inline completions are on (plugin-side switch, :GroveToggle).
M.enabled = true

--- Buffers with a grove client attached: bufnr -> client id.
---@type table<integer, integer>
M.buffers = {}

--- The ghost-text renderer actually in use: 'native' (vim.lsp.inline_completion) or 'extmark'.
---@return 'native'|'extmark'
function M.renderer()
  local wanted = config.current.ghost_text or 'auto'
  local native = vim.lsp.inline_completion ~= nil
  if wanted == 'extmark' then
    return 'extmark'
  end
  if wanted == 'native' and not native then
    vim.notify_once(
      'Grove: ghost_text = "native" needs vim.lsp.inline_completion (Neovim 0.12+); '
        .. 'using the extmark renderer',
      vim.log.levels.WARN
    )
    return 'extmark'
  end
  return native and 'native' or 'extmark'
end

local function ghost()
  return require('grove.ghost')
end

local function start_inline(bufnr, client)
  if M.renderer() == 'native' then
    vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
  else
    ghost().attach(bufnr, client, config.current)
  end
end

local function stop_inline(bufnr)
  if vim.lsp.inline_completion and vim.api.nvim_buf_is_valid(bufnr) then
    pcall(vim.lsp.inline_completion.enable, false, { bufnr = bufnr })
  end
  ghost().detach(bufnr)
end

--- A grove client attached to a buffer: remember it, and show completions there when they are on.
---@param client vim.lsp.Client
---@param bufnr integer
function M.attach(client, bufnr)
  M.buffers[bufnr] = client.id
  if M.enabled then
    start_inline(bufnr, client)
  end
end

--- A grove client left a buffer: forget it and drop the extmark renderer's state there.
---@param bufnr integer
function M.detach(bufnr)
  M.buffers[bufnr] = nil
  ghost().detach(bufnr)
end

--- Is a suggestion shown in this buffer?
---@param bufnr? integer
---@return boolean
function M.visible(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if M.renderer() == 'native' then
    local ns = vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
    return ns ~= nil and #vim.api.nvim_buf_get_extmarks(bufnr, ns, 0, -1, { limit = 1 }) > 0
  end
  return ghost().visible(bufnr)
end

--- Insert `text` in place of the (0-based, byte) range and put the cursor after it.
---@param bufnr integer
---@param srow integer
---@param scol integer
---@param erow integer
---@param ecol integer
---@param text string
function M.insert(bufnr, srow, scol, erow, ecol, text)
  local lines = vim.split(text, '\n', { plain = true })
  vim.api.nvim_buf_set_text(bufnr, srow, scol, erow, ecol, lines)
  local row = srow + #lines - 1
  local col = (#lines == 1 and scol or 0) + #lines[#lines]
  local win = vim.fn.bufwinid(bufnr)
  if win ~= -1 then
    vim.api.nvim_win_set_cursor(win, { row + 1, col })
  end
end

--- The part of a suggestion that 'word' or 'line' accepts.
---@param text string
---@param kind 'all'|'word'|'line'
---@return string
function M.partial(text, kind)
  if kind == 'word' then
    return text:match('^%s*[%w_]+') or text:match('^%s*[^%w_%s]+') or text:match('^%s+') or text
  elseif kind == 'line' then
    local first = text:match('^[^\n]*')
    if first:match('%S') or #first == #text then
      return first
    end
    -- The suggestion starts on a new line: take the newline(s) and the next line.
    return text:match('^%s*\n[^\n]*') or text
  end
  return text
end

--- Accept all or part of the shown suggestion. Returns false when nothing is shown.
--- Safe to call from an <expr> mapping: the edit is scheduled.
---@param kind? 'all'|'word'|'line'
---@return boolean
function M.accept(kind)
  kind = kind or 'all'
  local bufnr = vim.api.nvim_get_current_buf()
  if M.renderer() == 'native' then
    if kind == 'all' then
      return vim.lsp.inline_completion.get({ bufnr = bufnr })
    end
    return vim.lsp.inline_completion.get({
      bufnr = bufnr,
      on_accept = function(item)
        local text = type(item.insert_text) == 'string' and item.insert_text
          or item.insert_text.value
        local r = item.range
        if r and (r.start.row ~= r.end_.row or r.start.col ~= r.end_.col) then
          text = text -- a replacing range: only the whole text is safe to insert
        else
          text = M.partial(text, kind)
        end
        if r then
          M.insert(bufnr, r.start.row, r.start.col, r.end_.row, r.end_.col, text)
        else
          vim.api.nvim_paste(text, false, -1)
        end
      end,
    })
  end
  return ghost().accept(bufnr, kind)
end

--- Items Grove gave to an explicit request, per buffer (so cycling does not ask again).
---@type table<integer, table>
local invoked_items = setmetatable({}, { __mode = 'v' })

--- Native renderer: when Grove's only item is shown (an automatic request's answer), ask again
--- explicitly (triggerKind Invoked: Grove answers with several candidates) and show the one
--- `count` away. vim.lsp.inline_completion has no public way to make an explicit request, so
--- this reaches into its state; false (plain select) when that is not there.
---@param bufnr integer
---@param count integer
---@return boolean
local function native_cycle_more(bufnr, count)
  local ok, capability = pcall(require, 'vim.lsp._capability')
  local class = ok and type(capability) == 'table' and capability.all
    and capability.all.inline_completion
  local completor = type(class) == 'table' and type(class.active) == 'table' and class.active[bufnr]
  local client = server.client(bufnr)
  if
    not completor
    or not client
    or type(completor.client_state) ~= 'table'
    or type(completor.select) ~= 'function'
  then
    return false
  end
  local own = completor.client_state[client.id]
  local items = own and own.items
  if type(items) ~= 'table' or #items ~= 1 or invoked_items[bufnr] == items then
    return false
  end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.context = { triggerKind = 1 } -- Invoked
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local cursor = vim.api.nvim_win_get_cursor(0)
  client:request('textDocument/inlineCompletion', params, function(err, result)
    local now = vim.api.nvim_win_get_cursor(0)
    if
      err
      or not result
      or class.active[bufnr] ~= completor
      or completor.client_state[client.id] ~= own
      or own.items ~= items -- a newer answer arrived meanwhile
      or vim.api.nvim_get_current_buf() ~= bufnr
      or vim.api.nvim_buf_get_changedtick(bufnr) ~= tick
      or now[1] ~= cursor[1]
      or now[2] ~= cursor[2]
      or not vim.api.nvim_get_mode().mode:match('^i')
    then
      return
    end
    local answer = result.items or result
    if #answer == 0 then
      return
    end
    own.items = answer
    invoked_items[bufnr] = answer
    completor:select((count % #answer) + 1, true)
  end, bufnr)
  return true
end

--- Show the next (+1) or previous (-1) suggestion. When only one is known, ask Grove
--- explicitly for its candidates (an Invoked request) and show the next of those.
---@param count integer
---@return boolean
function M.cycle(count)
  if not M.visible() then
    return false
  end
  local bufnr = vim.api.nvim_get_current_buf()
  if M.renderer() == 'native' then
    if not native_cycle_more(bufnr, count) then
      vim.lsp.inline_completion.select({ count = count })
    end
    return true
  end
  return ghost().cycle(bufnr, count)
end

--- Hide the suggestion. Returns false when nothing is shown.
---@return boolean
function M.dismiss()
  local bufnr = vim.api.nvim_get_current_buf()
  if not M.visible(bufnr) then
    return false
  end
  if M.renderer() == 'native' then
    -- Re-enabling drops the current item and any pending request; the next keystroke asks again.
    vim.lsp.inline_completion.enable(false, { bufnr = bufnr })
    vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
    return true
  end
  ghost().clear(bufnr)
  return true
end

--- Turn inline completions on or off (all grove buffers). nil toggles.
---@param on? boolean
function M.toggle(on)
  if on == nil then
    on = not M.enabled
  end
  M.enabled = on
  for bufnr, client_id in pairs(M.buffers) do
    local client = vim.lsp.get_client_by_id(client_id)
    if client and vim.api.nvim_buf_is_valid(bufnr) then
      if on then
        start_inline(bufnr, client)
      else
        stop_inline(bufnr)
      end
    end
  end
  ui.notify('inline completions ' .. (on and 'on' or 'off'))
end

return M
