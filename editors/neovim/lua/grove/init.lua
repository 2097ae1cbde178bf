-- Grove for Neovim: a thin client. The language server does the work; this module starts it
-- (through `vim.lsp.config`/`vim.lsp.enable`), shows ghost text, maps keys and exposes commands.

local M = {}

local NAME = 'grove'

---@class grove.Keymaps
---@field accept string|false       accept the whole suggestion (falls through when none is shown)
---@field accept_word string|false
---@field accept_line string|false
---@field next string|false
---@field prev string|false
---@field dismiss string|false

---@class grove.Config
---@field cmd? string[]              server command (default from lsp/grove.lua: { 'grove', 'serve' })
---@field settings? table            the `grove` settings section (see the README's settings table)
---@field filetypes? string[]        only these filetypes (default: every buffer with a filetype)
---@field root_markers? string[]
---@field lsp? vim.lsp.Config        any other vim.lsp.config fields (capabilities, detached, ...)
---@field enable? boolean            call vim.lsp.enable('grove') in setup() (default true)
---@field inline? boolean            show inline completions (default true; :GroveToggle flips it)
---@field ghost_text? 'auto'|'native'|'extmark'
---@field debounce_ms? integer       extmark renderer only: wait after a keystroke (default 75)
---@field keymaps? grove.Keymaps|false
---@field restart? grove.RestartConfig|false  restart a crashed server with backoff (default on)

---@type grove.Config
local defaults = {
  enable = true,
  inline = true,
  ghost_text = 'auto',
  debounce_ms = 75,
  keymaps = {
    accept = '<Tab>',
    accept_word = '<M-w>',
    accept_line = '<M-l>',
    next = '<M-]>',
    prev = '<M-[>',
    dismiss = '<C-]>',
  },
}

---@type grove.Config
M.config = vim.deepcopy(defaults)

--- Whether inline completions are on (plugin-side switch, :GroveToggle).
M.enabled = true

--- Buffers with a grove client attached: bufnr -> client id.
---@type table<integer, integer>
M.buffers = {}

--- Show a message to the user, always prefixed so it is clear where it comes from.
---@param msg string
---@param level? integer vim.log.levels
function M.notify(msg, level)
  vim.notify('Grove: ' .. msg, level or vim.log.levels.INFO)
end

--- Log an error visibly (and to the LSP log).
---@param msg string
function M.error(msg)
  pcall(function()
    require('vim.lsp.log').error('grove', msg)
  end)
  M.notify(msg, vim.log.levels.ERROR)
end

--- The ghost-text renderer actually in use: 'native' (vim.lsp.inline_completion) or 'extmark'.
---@return 'native'|'extmark'
function M.renderer()
  local wanted = M.config.ghost_text or 'auto'
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

--- The grove client for a buffer (or any grove client when the buffer has none).
---@param bufnr? integer
---@return vim.lsp.Client?
function M.client(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local clients = vim.lsp.get_clients({ name = NAME, bufnr = bufnr })
  if #clients == 0 then
    clients = vim.lsp.get_clients({ name = NAME })
  end
  return clients[1]
end

-- Inline completion ------------------------------------------------------------------------

local function ghost()
  return require('grove.ghost')
end

local function start_inline(bufnr, client)
  if M.renderer() == 'native' then
    vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
  else
    ghost().attach(bufnr, client, M.config)
  end
end

local function stop_inline(bufnr)
  if vim.lsp.inline_completion and vim.api.nvim_buf_is_valid(bufnr) then
    pcall(vim.lsp.inline_completion.enable, false, { bufnr = bufnr })
  end
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
  local client = M.client(bufnr)
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
  M.notify('inline completions ' .. (on and 'on' or 'off'))
end

-- Keymaps ----------------------------------------------------------------------------------

local function set_keymaps(bufnr)
  local keys = M.config.keymaps
  if not keys then
    return
  end
  local function map(lhs, desc, fn)
    if not lhs then
      return
    end
    vim.keymap.set('i', lhs, function()
      local ok, handled = pcall(fn)
      if not ok then
        M.error(tostring(handled))
        handled = false
      end
      if handled then
        return ''
      end
      return vim.keycode(lhs)
    end, { buffer = bufnr, expr = true, replace_keycodes = false, desc = 'Grove: ' .. desc })
  end
  map(keys.accept, 'accept suggestion', function()
    return M.accept('all')
  end)
  map(keys.accept_word, 'accept next word', function()
    return M.accept('word')
  end)
  map(keys.accept_line, 'accept line', function()
    return M.accept('line')
  end)
  map(keys.next, 'next suggestion', function()
    return M.cycle(1)
  end)
  map(keys.prev, 'previous suggestion', function()
    return M.cycle(-1)
  end)
  map(keys.dismiss, 'dismiss suggestion', function()
    return M.dismiss()
  end)
end

--- Called for every client named 'grove' that attaches to a buffer (LspAttach).
---@param client vim.lsp.Client
---@param bufnr integer
function M.on_attach(client, bufnr)
  M.buffers[bufnr] = client.id
  if M.enabled then
    start_inline(bufnr, client)
  end
  set_keymaps(bufnr)
end

---@param bufnr integer
function M.on_detach(bufnr)
  M.buffers[bufnr] = nil
  ghost().detach(bufnr)
end

-- Server commands --------------------------------------------------------------------------

--- Whether the server advertises a workspace command.
---@param client vim.lsp.Client
---@param command string
---@return boolean
function M.server_has_command(client, command)
  local provider = client.server_capabilities.executeCommandProvider
  local commands = type(provider) == 'table' and provider.commands or {}
  return vim.list_contains(commands, command)
end

--- Run a server command with workspace/executeCommand; `on_result(result)` on success,
--- `on_error(message)` (after the error is shown) on failure.
--- Prints a clear message (and does nothing else) when the server does not offer the command.
---@param command string
---@param arguments? any[]
---@param on_result? fun(result: any, client: vim.lsp.Client)
---@param on_error? fun(message: string)
---@return boolean sent
function M.execute(command, arguments, on_result, on_error)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    M.notify('no Grove language server is running for this buffer', vim.log.levels.WARN)
    return false
  end
  if not M.server_has_command(client, command) then
    local version = client.server_info and client.server_info.version
    M.notify(
      ('the command "%s" is not supported by this server (grove %s)'):format(
        command,
        version or '?'
      ),
      vim.log.levels.WARN
    )
    return false
  end
  client:request('workspace/executeCommand', {
    command = command,
    arguments = arguments,
  }, function(err, result)
    if err then
      local message = err.message or vim.inspect(err)
      M.error(('%s failed: %s'):format(command, message))
      if on_error then
        on_error(message)
      end
      return
    end
    if on_result then
      on_result(result, client)
    end
  end, bufnr)
  return true
end

--- Show lines in a floating window (markdown); returns the float's buffer and window.
---@param lines string[]
---@param id string
---@return integer bufnr, integer winid
function M.float(lines, id)
  return vim.lsp.util.open_floating_preview(lines, 'markdown', {
    border = 'rounded',
    focus_id = id,
    max_width = math.max(40, math.floor(vim.o.columns * 0.8)),
  })
end

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
function M.statusline(max_error)
  if #vim.lsp.get_clients({ name = NAME, bufnr = vim.api.nvim_get_current_buf() }) == 0 then
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
  if status.completionEnabled == false or not M.enabled then
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
function M.status()
  return M.execute('grove.status', {}, function(result)
    M.last_status = result
    if type(result) ~= 'table' then
      M.notify('status: ' .. vim.inspect(result))
      return
    end
    M.float(status_lines(result), 'grove_status')
  end)
end

local function document_arguments(range)
  local client = M.client()
  local encoding = client and client.offset_encoding or 'utf-16'
  local params
  if range then
    params = vim.lsp.util.make_given_range_params(nil, nil, 0, encoding)
  else
    params = vim.lsp.util.make_position_params(0, encoding)
  end
  return { params }
end

--- The one reader of Grove command results (one shape for every command, documented in the
--- server's server/command_results.py):
---   { kind = 'edit', edit = WorkspaceEdit, applied = boolean }  `applied`: the server sent it
---       with workspace/applyEdit and it is in the buffer already; otherwise it is applied here
---   { kind = 'markdown', markdown = string }                     shown in a float titled `title`
---   { kind = 'message', message = string }                       a notification
--- With `token` (a streaming explanation) the Markdown or the message fills that float instead.
--- Any other result is not guessed at: a warning says so.
---@param command string
---@param result any
---@param client vim.lsp.Client
---@param title string
---@param token? string  the grove.stream_float token of a streaming explanation
function M.show_result(command, result, client, title, token)
  local float = token and require('grove.stream_float') or nil
  local kind = type(result) == 'table' and result.kind or nil
  if kind == 'edit' and type(result.edit) == 'table' and type(result.applied) == 'boolean' then
    if not result.applied then
      vim.lsp.util.apply_workspace_edit(result.edit, client.offset_encoding)
    end
    if float then
      float.finish(token, title, '_The edit was applied._')
    end
  elseif kind == 'markdown' and type(result.markdown) == 'string' then
    if float then
      float.finish(token, title, result.markdown)
    else
      local text = ('# %s\n\n%s'):format(title, result.markdown)
      M.float(vim.split(text, '\n', { plain = true }), 'grove_' .. title:lower())
    end
  elseif kind == 'message' and type(result.message) == 'string' then
    if float then
      float.finish(token, title, ('_%s_'):format(result.message))
    else
      M.notify(result.message)
    end
  elseif result == nil or result == vim.NIL then
    if float then
      float.finish(token, title, '_The server returned nothing._')
    end
  else
    local message = ('%s returned a result this plugin does not know: %s'):format(
      command,
      vim.inspect(result)
    )
    if float then
      float.fail(token, message)
    end
    M.notify(message, vim.log.levels.WARN)
  end
end

--- An `on_result` for M.execute that hands the result to M.show_result.
---@param command string
---@param title string
---@param token? string
---@return fun(result: any, client: vim.lsp.Client)
local function show(command, title, token)
  return function(result, client)
    M.show_result(command, result, client, title, token)
  end
end

--- :GroveDocstring
function M.docstring()
  local command = 'grove.generateDocstring'
  return M.execute(command, document_arguments(false), show(command, 'Docstring'))
end

--- Run an explain command in a float that fills in while the server streams the text.
---@param command string
---@param args table[]
---@param title string
---@return boolean sent
local function explain_streaming(command, args, title)
  local float = require('grove.stream_float')
  local token = float.new_token()
  args[1].stream = token
  local sent = M.execute(command, args, show(command, title, token), function(message)
    float.fail(token, message)
  end)
  if sent then
    float.open(token, title)
  end
  return sent
end

--- Client-side handler for the server's explain commands, as code actions carry them
--- ("Explain this code", "Explain this diagnostic: …"): the same streaming float as the user
--- commands, with the action's own arguments.
---@param command lsp.Command
function M.explain_code_action(command)
  local args = vim.deepcopy(command.arguments or {})
  if type(args[1]) ~= 'table' then
    local message = ('%s: unexpected arguments from the code action'):format(command.command)
    M.notify(message, vim.log.levels.WARN)
    return
  end
  local title = command.command == 'grove.explainDiagnostic' and 'Diagnostic' or 'Explanation'
  explain_streaming(command.command, args, title)
end

--- :GroveExplain (a visual range, or the code at the cursor)
---@param range boolean
function M.explain(range)
  return explain_streaming('grove.explain', document_arguments(range), 'Explanation')
end

--- Whether string `a` sorts before `b` byte by byte (Lua's `<` follows the locale).
---@param a string
---@param b string
---@return boolean
local function bytes_before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = a:byte(i), b:byte(i)
    if x ~= y then
      return x < y
    end
  end
  return #a < #b
end

--- The diagnostic "Explain this diagnostic" explains at a position. The rule is the VS Code
--- extension's too (pickDiagnostic in editors/vscode/src/commands.ts; shared test cases in
--- tests/editors/diagnostic_choice.json):
--- 1. only diagnostics whose range contains the position (both ends included), any source;
--- 2. the narrowest range: fewest lines, then fewest characters from its start column to its end
---    column, counted in characters (code points), not bytes;
--- 3. then the most severe; 4. then Grove's own (source 'grove') before other sources;
--- 5. then by source, then message (byte order), so the order diagnostics are listed in never
---    matters.
---@param bufnr integer  0: the current buffer
---@param row integer    0-based line
---@param col integer    0-based byte column
---@return vim.Diagnostic?
function M.diagnostic_at(bufnr, row, col)
  if bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  local texts = {} ---@type table<integer, string>
  local function chars(line, byte)
    local text = texts[line]
    if text == nil then
      text = vim.api.nvim_buf_get_lines(bufnr, line, line + 1, false)[1] or ''
      texts[line] = text
    end
    return vim.str_utfindex(text, 'utf-32', math.min(byte, #text), false)
  end
  local function before(l1, c1, l2, c2)
    return l1 < l2 or (l1 == l2 and c1 < c2)
  end
  local candidates = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local end_lnum, end_col = d.end_lnum or d.lnum, d.end_col or d.col
    if not before(row, col, d.lnum, d.col) and not before(end_lnum, end_col, row, col) then
      candidates[#candidates + 1] = {
        diagnostic = d,
        key = {
          end_lnum - d.lnum,
          chars(end_lnum, end_col) - chars(d.lnum, d.col),
          d.severity or 0,
          d.source == 'grove' and 0 or 1,
        },
        source = d.source or '',
        message = d.message or '',
      }
    end
  end
  table.sort(candidates, function(a, b)
    for i, x in ipairs(a.key) do
      if x ~= b.key[i] then
        return x < b.key[i]
      end
    end
    if a.source ~= b.source then
      return bytes_before(a.source, b.source)
    end
    return bytes_before(a.message, b.message)
  end)
  return candidates[1] and candidates[1].diagnostic
end

--- A diagnostic as LSP sends it, for the server: its own fields (user_data.lsp, when a language
--- server made it) with the range rebuilt from Neovim's positions in the grove client's position
--- encoding (another server's ranges may be in another encoding; a linter's have none).
---@param bufnr integer
---@param d vim.Diagnostic
---@param encoding string
---@return table
local function lsp_diagnostic(bufnr, d, encoding)
  local lsp = vim.deepcopy(d.user_data and d.user_data.lsp or {})
  local function position(row, col)
    local ok, character = pcall(vim.lsp.util.character_offset, bufnr, row, col, encoding)
    return { line = row, character = ok and character or col }
  end
  lsp.range = {
    start = position(d.lnum, d.col),
    ['end'] = position(d.end_lnum or d.lnum, d.end_col or d.col),
  }
  lsp.message = lsp.message or d.message
  lsp.severity = lsp.severity or d.severity
  lsp.source = lsp.source or d.source
  lsp.code = lsp.code or d.code
  return lsp
end

--- :GroveExplainDiagnostic (the diagnostic under the cursor, chosen by M.diagnostic_at)
function M.explain_diagnostic()
  local args = document_arguments(false)
  local bufnr = vim.api.nvim_get_current_buf()
  local cursor = vim.api.nvim_win_get_cursor(0)
  local picked = M.diagnostic_at(bufnr, cursor[1] - 1, cursor[2])
  if picked then
    local client = M.client(bufnr)
    local encoding = client and client.offset_encoding or 'utf-16'
    args[1].diagnostic = lsp_diagnostic(bufnr, picked, encoding)
  end
  return explain_streaming('grove.explainDiagnostic', args, 'Diagnostic')
end

--- :GroveReview (the current file)
function M.review()
  local args = { { textDocument = vim.lsp.util.make_text_document_params(0) } }
  return M.execute('grove.review', args, show('grove.review', 'Review'))
end

-- Server missing -----------------------------------------------------------------------------

--- Neovim skips a config whose command is not executable with only a line in the LSP log;
--- say it once, visibly, when a buffer Grove would serve is opened.
---@param bufnr integer
function M.check_server(bufnr)
  if M._missing_reported or not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  local enabled = M._lsp_enabled
  if vim.lsp.is_enabled then
    enabled = vim.lsp.is_enabled(NAME)
  end
  if not enabled or vim.bo[bufnr].buftype ~= '' then
    return
  end
  local ok, config = pcall(function()
    return vim.lsp.config[NAME]
  end)
  if not ok or not config or type(config.cmd) ~= 'table' or not config.cmd[1] then
    return
  end
  local filetypes = config.filetypes
  if type(filetypes) == 'table' and not vim.list_contains(filetypes, vim.bo[bufnr].filetype) then
    return
  end
  if vim.fn.executable(config.cmd[1]) == 1 then
    return
  end
  M._missing_reported = true
  M.notify(
    ('language server `%s` not found: install it from a clone of the Grove repository with '
      .. "`pip install -e '<clone>[local]'` (see the Grove README), or set `cmd` in "
      .. "require('grove').setup{} (see :checkhealth grove)"):format(config.cmd[1]),
    vim.log.levels.ERROR
  )
end

-- Setup ------------------------------------------------------------------------------------

--- Configure Grove (all fields optional) and enable the language server.
---@param opts? grove.Config
function M.setup(opts)
  opts = opts or {}
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts)
  if opts.keymaps == false then
    M.config.keymaps = false
  end
  M.enabled = M.config.inline ~= false

  local lsp = vim.deepcopy(opts.lsp or {})
  if opts.cmd then
    lsp.cmd = opts.cmd
  end
  if opts.settings then
    lsp.settings = { grove = opts.settings }
  end
  if opts.filetypes then
    lsp.filetypes = opts.filetypes
  end
  if opts.root_markers then
    lsp.root_markers = opts.root_markers
  end
  if next(lsp) then
    vim.lsp.config(NAME, lsp)
  end
  if M.config.enable ~= false then
    M._lsp_enabled = true
    vim.lsp.enable(NAME)
  end
end

return M
