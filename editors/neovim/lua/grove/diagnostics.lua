-- The diagnostic an explanation is about: which one is at the cursor (the rule the VS Code
-- extension shares), and how it is sent to the server (as LSP has it).

local M = {}

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
function M.at(bufnr, row, col)
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
function M.to_lsp(bufnr, d, encoding)
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

return M
