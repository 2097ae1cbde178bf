-- How Grove shows things to the user: prefixed notifications, errors (also to the LSP log) and
-- Markdown floats.

local M = {}

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

return M
