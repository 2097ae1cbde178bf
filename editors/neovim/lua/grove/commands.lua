-- The :Grove* commands that run a server command (:GroveDocstring, :GroveExplain,
-- :GroveExplainDiagnostic, :GroveReview, and the "Explain" code actions), and the one reader of
-- their results. :GroveStatus is in lua/grove/statusline.lua, :GroveToggle in lua/grove/inline.lua.

local diagnostics = require('grove.diagnostics')
local server = require('grove.server')
local ui = require('grove.ui')

local M = {}

local function document_arguments(range)
  local client = server.client()
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
--- server's server/lsp/command_results.py):
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
      ui.float(vim.split(text, '\n', { plain = true }), 'grove_' .. title:lower())
    end
  elseif kind == 'message' and type(result.message) == 'string' then
    if float then
      float.finish(token, title, ('_%s_'):format(result.message))
    else
      ui.notify(result.message)
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
    ui.notify(message, vim.log.levels.WARN)
  end
end

--- An `on_result` for server.execute that hands the result to M.show_result.
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
  return server.execute(command, document_arguments(false), show(command, 'Docstring'))
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
  local sent = server.execute(command, args, show(command, title, token), function(message)
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
    ui.notify(message, vim.log.levels.WARN)
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

--- :GroveExplainDiagnostic (the diagnostic under the cursor, chosen by diagnostics.at)
function M.explain_diagnostic()
  local args = document_arguments(false)
  local bufnr = vim.api.nvim_get_current_buf()
  local cursor = vim.api.nvim_win_get_cursor(0)
  local picked = diagnostics.at(bufnr, cursor[1] - 1, cursor[2])
  if picked then
    local client = server.client(bufnr)
    local encoding = client and client.offset_encoding or 'utf-16'
    args[1].diagnostic = diagnostics.to_lsp(bufnr, picked, encoding)
  end
  return explain_streaming('grove.explainDiagnostic', args, 'Diagnostic')
end

--- :GroveReview (the current file)
function M.review()
  local args = { { textDocument = vim.lsp.util.make_text_document_params(0) } }
  return server.execute('grove.review', args, show('grove.review', 'Review'))
end

return M
