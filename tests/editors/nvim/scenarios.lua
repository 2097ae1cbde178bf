-- Scenarios for tests/editors/test_neovim.py. Each gets the runner `t` (t.feed, t.wait,
-- t.result) and the case table from the test; it stores what it observed in t.result.

local S = {}

local NATIVE_NS = 'nvim.lsp.inline_completion'
local GHOST_NS = 'grove.ghost'

--- Open the file and wait for the grove client to attach to it.
local function open(t, file)
  vim.cmd.edit(vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  t.wait(30000, function()
    return #vim.lsp.get_clients({ name = 'grove', bufnr = buf }) > 0
  end, 'the grove client to attach')
  local client = vim.lsp.get_clients({ name = 'grove', bufnr = buf })[1]
  t.wait(30000, function()
    return client.initialized
  end, 'the grove client to initialize')
  return buf, client
end

--- The ghost-text extmarks in a namespace, as plain data.
local function ghost_marks(buf, ns_name)
  local ns = vim.api.nvim_get_namespaces()[ns_name]
  if not ns then
    return {}
  end
  local out = {}
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(buf, ns, 0, -1, { details = true })) do
    local d = m[4]
    local text = {}
    for _, chunk in ipairs(d.virt_text or {}) do
      text[#text + 1] = chunk[1]
    end
    local lines = {}
    for _, line in ipairs(d.virt_lines or {}) do
      local parts = {}
      for _, chunk in ipairs(line) do
        parts[#parts + 1] = chunk[1]
      end
      lines[#lines + 1] = table.concat(parts)
    end
    out[#out + 1] = {
      row = m[2],
      col = m[3],
      virt_text = table.concat(text),
      virt_lines = lines,
      virt_text_pos = d.virt_text_pos,
    }
  end
  return out
end

--- Put the cursor at (1-based line, 0-based byte column) in insert mode, as a user would.
local function insert_at(t, line, col)
  local text = vim.api.nvim_buf_get_lines(0, line - 1, line, true)[1]
  if col >= #text then
    vim.api.nvim_win_set_cursor(0, { line, 0 })
    t.feed('A')
  else
    vim.api.nvim_win_set_cursor(0, { line, col })
    t.feed('i')
  end
  t.wait(5000, function()
    return vim.api.nvim_get_mode().mode == 'i'
  end, 'insert mode')
end

--- Wait until a message containing `text` has been shown.
local function wait_for_message(t, ms, text)
  t.wait(ms, function()
    for _, m in ipairs(t.messages) do
      if m.msg:find(text, 1, true) then
        return true
      end
    end
  end, ('a message with %q'):format(text))
end

--- Ask grove.status until `ready(status)`; return that status.
local function server_status(t, ready, what)
  local last, pending
  return t.wait(10000, function()
    if type(last) == 'table' and ready(last) then
      return last
    end
    if not pending then
      pending = true
      require('grove').execute('grove.status', {}, function(result)
        last, pending = result, false
      end)
    end
  end, what)
end

--- Ghost text appears at the cursor, then <Tab> accepts it.
function S.ghost_and_accept(t, c)
  local buf = open(t, c.file)
  local grove = require('grove')
  t.result.renderer = grove.renderer()
  local ns_name = t.result.renderer == 'native' and NATIVE_NS or GHOST_NS
  local before = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  insert_at(t, c.line, c.col)
  t.result.cursor_before = vim.api.nvim_win_get_cursor(0)
  t.wait(20000, function()
    return #ghost_marks(buf, ns_name) > 0
  end, 'ghost text')
  t.result.marks = ghost_marks(buf, ns_name)
  t.result.visible = grove.visible(buf)
  t.feed(c.accept_key or '<Tab>')
  t.wait(5000, function()
    return not vim.deep_equal(vim.api.nvim_buf_get_lines(buf, 0, -1, false), before)
  end, 'the suggestion to be inserted')
  t.result.lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  t.result.before = before
  t.result.cursor_after = vim.api.nvim_win_get_cursor(0)
  t.result.mode = vim.api.nvim_get_mode().mode
  -- A whole accept runs the item's command (grove.accepted); a partial one does not.
  local whole = (c.accept_key or '<Tab>') == '<Tab>'
  t.result.accepted = server_status(t, function(status)
    return not whole or status.accepted > 0
  end, 'the server to hear of the acceptance (the item\'s command)').accepted
end

--- Ghost text appears; the next-suggestion key shows another candidate; <Tab> accepts that one.
function S.cycle(t, c)
  local buf = open(t, c.file)
  local grove = require('grove')
  t.result.renderer = grove.renderer()
  local ns_name = t.result.renderer == 'native' and NATIVE_NS or GHOST_NS
  local before = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  insert_at(t, c.line, c.col)
  t.wait(20000, function()
    return #ghost_marks(buf, ns_name) > 0
  end, 'ghost text')
  t.result.first = ghost_marks(buf, ns_name)
  t.feed(c.cycle_key or '<M-]>')
  t.result.second = t.wait(20000, function()
    local marks = ghost_marks(buf, ns_name)
    return #marks > 0 and marks[1].virt_text ~= t.result.first[1].virt_text and marks
  end, 'another candidate after the cycle key')
  t.feed('<Tab>')
  t.wait(5000, function()
    return not vim.deep_equal(vim.api.nvim_buf_get_lines(buf, 0, -1, false), before)
  end, 'the candidate to be inserted')
  t.result.before = before
  t.result.lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  t.result.accepted = server_status(t, function(status)
    return status.accepted > 0
  end, 'the server to hear of the acceptance').accepted
end

--- <Tab> with no suggestion shown inserts a real tab (the mapping falls through).
function S.tab_falls_through(t, c)
  local buf = open(t, c.file)
  vim.bo[buf].expandtab = false
  require('grove').toggle(false)
  insert_at(t, c.line, c.col)
  t.result.visible = require('grove').visible(buf)
  t.feed('<Tab>')
  t.result.line = vim.api.nvim_buf_get_lines(buf, c.line - 1, c.line, true)[1]
end

--- The languageId Neovim announces each file with (no server: setup{ enable = false }).
function S.language_ids(t, c)
  local config = vim.lsp.config['grove']
  t.result.filetypes = config.filetypes or vim.NIL
  t.result.files = {}
  for _, file in ipairs(c.files) do
    vim.cmd.edit(vim.fn.fnameescape(file))
    local buf = vim.api.nvim_get_current_buf()
    local filetype = vim.bo[buf].filetype
    t.result.files[#t.result.files + 1] = {
      file = file,
      filetype = filetype,
      language_id = config.get_language_id(buf, filetype),
    }
  end
end

--- A buffer whose language is in completion.disabledLanguages: the server answers its inline
--- completion requests with nothing and no ghost text shows; a buffer of another language (same
--- server) still gets ghost text.
function S.disabled_language(t, c)
  local buf, client = open(t, c.disabled_file)
  t.result.filetype = vim.bo[buf].filetype
  t.result.language_id = client.get_language_id(buf, vim.bo[buf].filetype)
  local answers = {}
  local request = client.request
  client.request = function(self, method, params, handler, ...)
    if method == 'textDocument/inlineCompletion' then
      local uri, inner = params.textDocument.uri, handler
      handler = function(err, result, ...)
        local items = type(result) == 'table' and (result.items or result) or {}
        answers[#answers + 1] = { uri = uri, items = #items, error = err and err.message or vim.NIL }
        if inner then
          return inner(err, result, ...)
        end
      end
    end
    return request(self, method, params, handler, ...)
  end
  local ns_name = require('grove').renderer() == 'native' and NATIVE_NS or GHOST_NS
  local disabled_uri = vim.uri_from_bufnr(buf)
  insert_at(t, c.line, c.col)
  t.feed('x')
  t.wait(20000, function()
    return #vim.tbl_filter(function(a)
      return a.uri == disabled_uri
    end, answers) >= 1
  end, 'the server to answer inline completion in the disabled buffer')
  t.result.disabled_marks = ghost_marks(buf, ns_name)
  t.feed('<Esc>')
  client.request = request
  t.result.answers = answers

  local other = open(t, c.file)
  t.result.other_language_id = client.get_language_id(other, vim.bo[other].filetype)
  insert_at(t, c.other_line, c.other_col)
  t.wait(20000, function()
    return #ghost_marks(other, ns_name) > 0
  end, 'ghost text in the other buffer')
  t.result.marks = ghost_marks(other, ns_name)
  t.result.disabled_marks_after = ghost_marks(buf, ns_name)
end

--- The floating windows on screen.
local function floats()
  local found = {}
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then
      found[#found + 1] = win
    end
  end
  return found
end

--- :GroveStatus opens a float with the server's status.
function S.status(t, c)
  open(t, c.file)
  vim.cmd('GroveStatus')
  local win = t.wait(10000, function()
    return floats()[1]
  end, 'the status float')
  t.result.float = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
  t.result.status = require('grove').last_status
end

--- :GroveDocstring with the cursor in a function writes its docstring into the buffer.
function S.docstring(t, c)
  open(t, c.file)
  vim.api.nvim_win_set_cursor(0, { c.line, c.col })
  local before = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  t.result.before = before
  vim.cmd('GroveDocstring')
  t.wait(30000, function()
    return vim.api.nvim_buf_line_count(0) > #before
  end, 'the docstring edit')
  t.result.lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

--- :GroveExplain with the cursor in a function opens a float with the explanation.
function S.explain(t, c)
  open(t, c.file)
  vim.api.nvim_win_set_cursor(0, { c.line, c.col })
  vim.cmd('GroveExplain')
  local win = t.wait(30000, function()
    return next(require('grove.stream_float').views) == nil and floats()[1]
  end, 'the finished explanation float')
  t.result.float = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
end

--- :GroveExplain fills its float while the server streams the text.
function S.explain_stream(t, c)
  open(t, c.file)
  vim.api.nvim_win_set_cursor(0, { c.line, c.col })
  vim.cmd('GroveExplain')
  local snapshots = {}
  local float = require('grove.stream_float')
  t.wait(30000, function()
    local win = floats()[1]
    if win then
      local lines = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
      local text = table.concat(lines, '\n')
      if snapshots[#snapshots] ~= text then
        snapshots[#snapshots + 1] = text
      end
    end
    return next(float.views) == nil and #snapshots > 0
  end, 'the explanation to finish')
  t.result.snapshots = snapshots
  t.result.floats = #floats()
end

--- The "Explain this code" code action opens the same streaming float (no extra document).
function S.explain_code_action(t, c)
  open(t, c.file)
  vim.api.nvim_win_set_cursor(0, { c.line, c.col })
  local buffers = #vim.api.nvim_list_bufs()
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      return action.title:find('^Explain this code') ~= nil
    end,
  })
  local float = require('grove.stream_float')
  local win = t.wait(30000, function()
    return next(float.views) == nil and floats()[1]
  end, 'the finished explanation float')
  t.result.float = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
  t.result.new_buffers = #vim.api.nvim_list_bufs() - buffers
end

--- The server is killed: Grove restarts it after a delay and ghost text works again.
function S.crash_restart(t, c)
  local buf, first = open(t, c.file)
  local pid = tonumber(vim.fn.readfile(c.pid_file)[1])
  t.result.first_client = first.id
  vim.uv.kill(pid, 'sigkill')
  local second = t.wait(20000, function()
    local client = vim.lsp.get_clients({ name = 'grove', bufnr = buf })[1]
    return client and client.id ~= first.id and client.initialized and client
  end, 'a new grove client')
  t.result.second_client = second.id
  t.result.starts = #vim.fn.readfile(c.pid_file)
  insert_at(t, c.line, c.col)
  t.wait(20000, function()
    return #ghost_marks(buf, NATIVE_NS) > 0
  end, 'ghost text from the restarted server')
  t.result.marks = ghost_marks(buf, NATIVE_NS)
  t.feed('<Esc>')
  vim.cmd('GroveRestart')
  local third = t.wait(20000, function()
    local client = vim.lsp.get_clients({ name = 'grove', bufnr = buf })[1]
    return client and client.id ~= second.id and client.initialized and client
  end, 'the client started by :GroveRestart')
  t.result.third_client = third.id
  t.result.crashes_after_manual_restart = #require('grove.restart').crashes
  t.result.clients_after_manual_restart = #vim.lsp.get_clients({ name = 'grove' })
end

--- The server dies at every start: a few restarts with growing delays, then one message.
function S.crash_loop(t, c)
  vim.cmd.edit(vim.fn.fnameescape(c.file))
  local buf = vim.api.nvim_get_current_buf()
  wait_for_message(t, 20000, 'will not be restarted')
  -- Long enough for another restart, had the policy not stopped.
  vim.wait(1500)
  t.result.starts = #vim.fn.readfile(c.count_file)
  t.result.crashes = vim.deepcopy(require('grove.restart').crashes)
  insert_at(t, c.line, c.col)
  t.feed('42')
  t.result.line = vim.api.nvim_buf_get_lines(buf, c.line - 1, c.line, true)[1]
end

--- :checkhealth grove
function S.health(t, c)
  open(t, c.file)
  vim.cmd('checkhealth grove')
  local buf = t.wait(20000, function()
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.bo[b].filetype == 'checkhealth' then
        local lines = vim.api.nvim_buf_get_lines(b, 0, -1, false)
        -- The report is complete once the last section (the doctor's) has been written.
        local text = table.concat(lines, '\n')
        for _, last in ipairs({ 'Ready: completions go to', 'Completions are blocked', 'grove.doctor' }) do
          if text:find(last, 1, true) then
            return b
          end
        end
      end
    end
  end, 'the checkhealth report')
  t.result.report = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end

--- A command whose server command is not offered prints a clear message and sends nothing.
function S.unsupported(t, c)
  local _, client = open(t, c.file)
  local provider = client.server_capabilities.executeCommandProvider
  t.result.server_commands = vim.deepcopy(provider.commands)
  -- Play an older server that does not offer the command.
  provider.commands = vim.tbl_filter(function(name)
    return name ~= c.hide
  end, provider.commands)
  local before = #t.messages
  local sent = {}
  local request = client.request
  client.request = function(self, method, params, ...)
    if method == 'workspace/executeCommand' then
      sent[#sent + 1] = params.command
    end
    return request(self, method, params, ...)
  end
  vim.cmd(c.command)
  client.request = request
  t.result.new_messages = vim.list_slice(t.messages, before + 1)
  t.result.sent = sent
end

--- :GroveToggle turns the renderer off and on.
function S.toggle(t, c)
  local buf = open(t, c.file)
  local grove = require('grove')
  local ns_name = grove.renderer() == 'native' and NATIVE_NS or GHOST_NS
  vim.cmd('GroveToggle')
  t.result.enabled_after_first = grove.enabled
  t.result.native_enabled_off = vim.lsp.inline_completion
      and vim.lsp.inline_completion.is_enabled({ bufnr = buf })
    or false
  vim.cmd('GroveToggle')
  t.result.enabled_after_second = grove.enabled
  insert_at(t, c.line, c.col)
  t.wait(20000, function()
    return #ghost_marks(buf, ns_name) > 0
  end, 'ghost text after toggling back on')
  t.result.marks = ghost_marks(buf, ns_name)
end

--- The endpoint is down: the pushed status carries the error (no polling), editing goes on.
function S.endpoint_down(t, c)
  local buf = open(t, c.file)
  local grove = require('grove')
  local events = 0
  vim.api.nvim_create_autocmd('User', {
    pattern = 'GroveStatus',
    callback = function()
      events = events + 1
    end,
  })
  t.result.statusline_before = grove.statusline()
  insert_at(t, c.line, c.col)
  local status = t.wait(30000, function()
    local last = grove.last_status
    return last and type(last.lastError) == 'string' and last
  end, 'a pushed grove/status with the endpoint error')
  t.result.status = status
  t.result.events = events
  t.result.statusline = grove.statusline(30)
  t.feed('42')
  t.result.line = vim.api.nvim_buf_get_lines(buf, c.line - 1, c.line, true)[1]
  t.result.mode = vim.api.nvim_get_mode().mode
  vim.cmd.enew()
  t.result.statusline_elsewhere = grove.statusline()
end

--- The configured server command does not exist: one clear message, no client, editing works.
function S.server_missing(t, c)
  vim.cmd.edit(vim.fn.fnameescape(c.file))
  local buf = vim.api.nvim_get_current_buf()
  wait_for_message(t, 10000, 'not found')
  t.result.clients = #vim.lsp.get_clients({ name = 'grove' })
  insert_at(t, c.line, c.col)
  t.feed('42')
  t.result.line = vim.api.nvim_buf_get_lines(buf, c.line - 1, c.line, true)[1]
  vim.cmd.edit(vim.fn.fnameescape(c.other_file))
  t.wait(5000, function()
    return vim.bo.filetype == 'python'
  end, 'the second file')
  -- A second buffer Grove would serve: the check must stay silent this time.
  require('grove').check_server(vim.api.nvim_get_current_buf())
end

--- Pure helpers: what accept-word and accept-line take from a suggestion.
function S.partial(t, c)
  local grove = require('grove')
  t.result.partial = {}
  for _, text in ipairs(c.texts) do
    t.result.partial[#t.result.partial + 1] = {
      word = grove.partial(text, 'word'),
      line = grove.partial(text, 'line'),
    }
  end
end

--- Set `diagnostics` ({ source, severity, message, range = {l1, c1, l2, c2}, user_data? }, byte
--- columns) in `buf`, one namespace per source, as separate producers would.
local function set_diagnostics(buf, namespaces, diagnostics)
  for _, ns in pairs(namespaces) do
    vim.diagnostic.reset(ns, buf)
  end
  local by_source = {}
  for _, d in ipairs(diagnostics) do
    namespaces[d.source] = namespaces[d.source]
      or vim.api.nvim_create_namespace('grove-test.' .. d.source)
    by_source[d.source] = by_source[d.source] or {}
    table.insert(by_source[d.source], {
      lnum = d.range[1],
      col = d.range[2],
      end_lnum = d.range[3],
      end_col = d.range[4],
      severity = d.severity,
      source = d.source,
      message = d.message,
      code = d.code,
      user_data = d.user_data,
    })
  end
  for source, list in pairs(by_source) do
    vim.diagnostic.set(namespaces[source], buf, list)
  end
end

--- The shared cases (tests/editors/diagnostic_choice.json, also run by the VS Code tests): the
--- diagnostic require('grove').diagnostic_at picks in a buffer with those lines.
function S.diagnostic_choice(t, c)
  local data = vim.json.decode(table.concat(vim.fn.readfile(c.cases_file), '\n'))
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, data.lines)
  -- The cases count characters (code points); Neovim's columns are bytes.
  local function byte(line, char)
    return vim.str_byteindex(data.lines[line + 1], 'utf-32', char, false)
  end
  local namespaces = {}
  t.result.picked = {}
  for _, case in ipairs(data.cases) do
    local diagnostics = {}
    for _, d in ipairs(case.diagnostics) do
      local r = d.range
      diagnostics[#diagnostics + 1] = {
        source = d.source,
        severity = d.severity,
        message = d.message,
        range = { r[1], byte(r[1], r[2]), r[3], byte(r[3], r[4]) },
      }
    end
    local picked = {}
    for _, order in ipairs({ 'listed', 'reversed' }) do
      if order == 'reversed' then
        diagnostics = vim.fn.reverse(diagnostics)
      end
      set_diagnostics(buf, namespaces, diagnostics)
      local row = case.cursor[1]
      local d = require('grove').diagnostic_at(buf, row, byte(row, case.cursor[2]))
      picked[order] = d and d.message or vim.NIL
    end
    t.result.picked[#t.result.picked + 1] = { name = case.name, picked = picked }
  end
end

--- :GroveExplainDiagnostic with two diagnostics from different sources at the cursor: what the
--- plugin sends, and the float the result fills.
function S.explain_diagnostic(t, c)
  local buf, client = open(t, c.file)
  t.result.encoding = client.offset_encoding
  set_diagnostics(buf, {}, c.diagnostics)
  vim.api.nvim_win_set_cursor(0, { c.line, c.col })
  local sent = {}
  local request = client.request
  client.request = function(self, method, params, ...)
    if method == 'workspace/executeCommand' then
      sent[#sent + 1] = vim.deepcopy(params)
    end
    return request(self, method, params, ...)
  end
  vim.cmd('GroveExplainDiagnostic')
  local float = require('grove.stream_float')
  local win = t.wait(30000, function()
    return next(float.views) == nil and floats()[1]
  end, 'the finished explanation float')
  client.request = request
  t.result.float = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
  t.result.sent = sent
end

--- Results of each kind through require('grove').show_result: message results of real commands
--- (a notification, no float), an edit the editor has not applied yet, and shapes it does not know.
function S.results(t, c)
  local buf, client = open(t, c.file)
  local grove = require('grove')
  vim.api.nvim_win_set_cursor(0, { c.blank_line, 0 })
  vim.cmd('GroveDocstring')
  wait_for_message(t, 20000, 'No function, method or class')
  vim.cmd('GroveReview')
  wait_for_message(t, 30000, 'findings in ')
  t.result.floats_after_messages = #floats()
  local uri = vim.uri_from_bufnr(buf)
  local function insert(text)
    local at = { line = 0, character = 0 }
    return { changes = { [uri] = { { range = { start = at, ['end'] = at }, newText = text } } } }
  end
  grove.show_result('grove.generateDocstring', {
    kind = 'edit',
    edit = insert('# applied by the server\n'),
    applied = true,
  }, client, 'Docstring')
  grove.show_result('grove.generateDocstring', {
    kind = 'edit',
    edit = insert('# applied by the plugin\n'),
    applied = false,
  }, client, 'Docstring')
  t.result.first_line = vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1]
  grove.show_result('grove.review', '3 findings', client, 'Review')
  grove.show_result('grove.review', { changes = {} }, client, 'Review')
  grove.show_result('grove.review', nil, client, 'Review')
  t.result.floats_at_end = #floats()
end

return S
