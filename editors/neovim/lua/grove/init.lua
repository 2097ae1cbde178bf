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
---@field filetypes? string[]
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

--- Show the next (+1) or previous (-1) suggestion.
---@param count integer
---@return boolean
function M.cycle(count)
  if not M.visible() then
    return false
  end
  if M.renderer() == 'native' then
    vim.lsp.inline_completion.select({ count = count })
    return true
  end
  return ghost().cycle(vim.api.nvim_get_current_buf(), count)
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

--- Show a command's result: a WorkspaceEdit is applied, text/Markdown goes to a float.
local function show_result(title)
  return function(result, client)
    if result == nil or result == vim.NIL then
      return
    end
    if type(result) == 'table' and (result.changes or result.documentChanges) then
      vim.lsp.util.apply_workspace_edit(result, client.offset_encoding)
      return
    end
    local text = result
    if type(result) == 'table' then
      text = result.markdown or result.value or result.text or vim.inspect(result)
    end
    local lines = vim.split(('# %s\n\n%s'):format(title, tostring(text)), '\n', { plain = true })
    M.float(lines, 'grove_' .. title:lower())
  end
end

--- :GroveDocstring
function M.docstring()
  return M.execute('grove.generateDocstring', document_arguments(false), show_result('Docstring'))
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
  local sent = M.execute(command, args, function(result)
    local text = type(result) == 'table' and (result.markdown or result.value) or result
    if text == nil or text == vim.NIL then
      text = '_No explanation._'
    end
    float.finish(token, title, tostring(text))
  end, function(message)
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

--- :GroveExplainDiagnostic (the diagnostic under the cursor)
function M.explain_diagnostic()
  local args = document_arguments(false)
  local lnum = vim.api.nvim_win_get_cursor(0)[1] - 1
  local diagnostics = vim.diagnostic.get(0, { lnum = lnum })
  args[1].diagnostic = diagnostics[1] and diagnostics[1].user_data and diagnostics[1].user_data.lsp
    or nil
  return explain_streaming('grove.explainDiagnostic', args, 'Diagnostic')
end

--- :GroveReview (the current file)
function M.review()
  local args = { { textDocument = vim.lsp.util.make_text_document_params(0) } }
  return M.execute('grove.review', args, show_result('Review'))
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
    ('language server `%s` not found: install it with `pip install grove-ls`, or set `cmd` in '
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
