-- Grove's own ghost-text renderer (extmarks), for Neovim without vim.lsp.inline_completion
-- (0.11) or when `ghost_text = 'extmark'`. It sends textDocument/inlineCompletion after a short
-- debounce, cancels the request it supersedes, and shows the first item as inline virtual text
-- (first line) plus virtual lines (the rest). Cycling shows the other items; when an automatic
-- answer holds only one, it asks again explicitly (triggerKind Invoked) for Grove's candidates.

local M = {}

M.ns = vim.api.nvim_create_namespace('grove.ghost')

vim.api.nvim_set_hl(0, 'GroveGhostText', { link = 'Comment', default = true })

---@class grove.ghost.State
---@field client_id integer
---@field augroup integer
---@field timer? uv.uv_timer_t
---@field request_id? integer
---@field items? table[]       lsp.InlineCompletionItem[] of the last answer
---@field index integer        the item shown (1-based)
---@field invoked? boolean     the items answer an explicit request (all the candidates there are)
---@field shown? { srow: integer, scol: integer, erow: integer, ecol: integer, text: string }
---@field debounce_ms integer

---@type table<integer, grove.ghost.State>
M.state = {}

local function notify_error(msg)
  require('grove').error(msg)
end

local function stop_timer(state)
  local timer = state.timer
  state.timer = nil
  if timer and not timer:is_closing() then
    timer:stop()
    timer:close()
  end
end

local function cancel_request(state)
  local id = state.request_id
  state.request_id = nil
  if id then
    local client = vim.lsp.get_client_by_id(state.client_id)
    if client then
      client:cancel_request(id)
    end
  end
end

--- Remove the ghost text and forget the items (keeps the buffer attached).
---@param bufnr integer
function M.clear(bufnr)
  local state = M.state[bufnr]
  if vim.api.nvim_buf_is_valid(bufnr) then
    vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  end
  if state then
    state.items = nil
    state.shown = nil
  end
end

---@param bufnr integer
---@return boolean
function M.visible(bufnr)
  local state = M.state[bufnr]
  return state ~= nil and state.shown ~= nil
end

--- Byte column of an LSP position in a buffer line.
local function byte_col(bufnr, position, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, position.line, position.line + 1, false)[1]
  if not line then
    return nil
  end
  local ok, col = pcall(vim.str_byteindex, line, encoding, position.character, false)
  if not ok then
    return #line
  end
  return math.min(col, #line)
end

--- Show items[index] at its range (or at the cursor when the item has no range).
local function render(bufnr, state)
  vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  state.shown = nil
  local item = state.items and state.items[state.index]
  if not item then
    return
  end
  local text = item.insertText
  if type(text) == 'table' then
    text = text.value -- a snippet: shown and inserted as its plain text
  end
  if type(text) ~= 'string' or text == '' then
    return
  end
  local client = vim.lsp.get_client_by_id(state.client_id)
  if not client then
    return
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  local crow, ccol = cursor[1] - 1, cursor[2]
  local srow, scol, erow, ecol = crow, ccol, crow, ccol
  if item.range then
    srow, erow = item.range.start.line, item.range['end'].line
    scol = byte_col(bufnr, item.range.start, client.offset_encoding)
    ecol = byte_col(bufnr, item.range['end'], client.offset_encoding)
    if not scol or not ecol then
      return
    end
  end
  -- Text between the range start and the cursor was typed already: do not show it twice.
  local shown_text = text
  if srow == crow and scol <= ccol then
    local typed = vim.api.nvim_buf_get_text(bufnr, srow, scol, crow, ccol, {})[1] or ''
    if text:sub(1, #typed) ~= typed then
      return -- stale: the user typed something else
    end
    shown_text = text:sub(#typed + 1)
  end
  local lines = vim.split(shown_text, '\n', { plain = true })
  local virt_lines = {}
  for i = 2, #lines do
    virt_lines[#virt_lines + 1] = { { lines[i], 'GroveGhostText' } }
  end
  local row, col = crow, ccol
  if not (srow == crow and scol <= ccol) then
    row, col = srow, scol
  end
  vim.api.nvim_buf_set_extmark(bufnr, M.ns, row, col, {
    virt_text = { { lines[1], 'GroveGhostText' } },
    virt_text_pos = 'inline',
    virt_lines = #virt_lines > 0 and virt_lines or nil,
    hl_mode = 'combine',
  })
  state.shown =
    { srow = srow, scol = scol, erow = erow, ecol = ecol, text = text, command = item.command }
end

--- Ask the server now (cancelling the request this one supersedes).
--- An explicit request (`invoked`: triggerKind Invoked) gets several candidates from Grove;
--- `index` is the one to show first (wrapped around; default 1).
---@param bufnr integer
---@param invoked? boolean
---@param index? integer
function M.request(bufnr, invoked, index)
  local state = M.state[bufnr]
  if not state or bufnr ~= vim.api.nvim_get_current_buf() then
    return
  end
  local client = vim.lsp.get_client_by_id(state.client_id)
  if not client then
    return
  end
  cancel_request(state)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.context = { triggerKind = invoked and 1 or 2 } -- Invoked or Automatic
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local cursor = vim.api.nvim_win_get_cursor(0)
  local ok, id
  ok, id = client:request('textDocument/inlineCompletion', params, function(err, result)
    if state.request_id == id then
      state.request_id = nil
    end
    if M.state[bufnr] ~= state then
      return
    end
    if err then
      -- -32800 RequestCancelled, -32801 ContentModified: superseded, not a failure.
      if err.code ~= -32800 and err.code ~= -32801 then
        notify_error('inline completion failed: ' .. (err.message or vim.inspect(err)))
      end
      return
    end
    local now = vim.api.nvim_win_get_cursor(0)
    if
      vim.api.nvim_get_current_buf() ~= bufnr
      or vim.api.nvim_buf_get_changedtick(bufnr) ~= tick
      or now[1] ~= cursor[1]
      or now[2] ~= cursor[2]
      or not vim.api.nvim_get_mode().mode:match('^i')
    then
      return -- stale answer
    end
    local items = result and (result.items or result) or {}
    state.items = items
    state.invoked = invoked or false
    state.index = #items > 0 and ((index or 1) - 1) % #items + 1 or 1
    render(bufnr, state)
  end, bufnr)
  if ok then
    state.request_id = id
  end
end

--- Debounced request (typing).
---@param bufnr integer
function M.schedule(bufnr)
  local state = M.state[bufnr]
  if not state then
    return
  end
  M.clear(bufnr)
  cancel_request(state)
  stop_timer(state)
  local timer = assert(vim.uv.new_timer())
  state.timer = timer
  timer:start(
    state.debounce_ms,
    0,
    vim.schedule_wrap(function()
      if state.timer ~= timer then
        return
      end
      stop_timer(state)
      if vim.api.nvim_get_mode().mode:match('^i') then
        M.request(bufnr)
      end
    end)
  )
end

--- Start showing ghost text in a buffer for a client.
---@param bufnr integer
---@param client vim.lsp.Client
---@param config grove.Config
function M.attach(bufnr, client, config)
  M.detach(bufnr)
  local augroup = vim.api.nvim_create_augroup('grove.ghost.' .. bufnr, { clear = true })
  local state = {
    client_id = client.id,
    augroup = augroup,
    index = 1,
    debounce_ms = config.debounce_ms or 75,
  }
  M.state[bufnr] = state
  vim.api.nvim_create_autocmd({ 'InsertEnter', 'TextChangedI', 'CursorMovedI' }, {
    group = augroup,
    buffer = bufnr,
    callback = function()
      M.schedule(bufnr)
    end,
  })
  vim.api.nvim_create_autocmd({ 'InsertLeave', 'BufLeave' }, {
    group = augroup,
    buffer = bufnr,
    callback = function()
      stop_timer(state)
      cancel_request(state)
      M.clear(bufnr)
    end,
  })
end

--- Stop showing ghost text in a buffer.
---@param bufnr integer
function M.detach(bufnr)
  local state = M.state[bufnr]
  if not state then
    return
  end
  stop_timer(state)
  cancel_request(state)
  M.clear(bufnr)
  pcall(vim.api.nvim_del_augroup_by_id, state.augroup)
  M.state[bufnr] = nil
end

--- Accept all or part of the shown suggestion (scheduled: safe from <expr> mappings).
---@param bufnr integer
---@param kind 'all'|'word'|'line'
---@return boolean
function M.accept(bufnr, kind)
  local state = M.state[bufnr]
  local shown = state and state.shown
  if not shown then
    return false
  end
  vim.schedule(function()
    if M.state[bufnr] ~= state or state.shown ~= shown then
      return
    end
    M.clear(bufnr)
    local text = shown.text
    local empty_range = shown.srow == shown.erow and shown.scol == shown.ecol
    local cursor = vim.api.nvim_win_get_cursor(0)
    local srow, scol = shown.srow, shown.scol
    if kind ~= 'all' then
      if empty_range then
        text = require('grove').partial(text, kind)
      elseif srow == cursor[1] - 1 and shown.erow == srow and shown.ecol <= cursor[2] then
        -- The range covers only what was typed: keep it, accept part of the rest.
        local typed = vim.api.nvim_buf_get_text(bufnr, srow, scol, srow, cursor[2], {})[1]
        text = typed .. require('grove').partial(text:sub(#typed + 1), kind)
      end
    end
    require('grove').insert(bufnr, srow, scol, shown.erow, shown.ecol, text)
    -- As the LSP says: the item's command runs after the whole item is inserted.
    local client = vim.lsp.get_client_by_id(state.client_id)
    if kind == 'all' and shown.command and client then
      client:exec_cmd(shown.command, { bufnr = bufnr })
    end
  end)
  return true
end

--- Show another item of the last answer. An automatic request's answer holds one item: then
--- ask again explicitly (Grove answers that with several candidates) and show the next one.
---@param bufnr integer
---@param count integer
---@return boolean
function M.cycle(bufnr, count)
  local state = M.state[bufnr]
  if not state or not state.items or #state.items == 0 then
    return false
  end
  if #state.items == 1 and not state.invoked then
    M.request(bufnr, true, 1 + count)
    return true
  end
  state.index = (state.index - 1 + count) % #state.items + 1
  render(bufnr, state)
  return true
end

return M
