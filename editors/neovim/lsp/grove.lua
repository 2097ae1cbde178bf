-- Grove language server configuration for Neovim 0.11+ (`vim.lsp.enable('grove')`).
--
-- Override any field with `vim.lsp.config('grove', { ... })` or `require('grove').setup{ ... }`.
-- Settings live under the single `grove` section; they are sent as initializationOptions and
-- answered to the server's `workspace/configuration` requests.

---@type vim.lsp.Config
return {
  cmd = { 'grove', 'serve' },
  filetypes = {
    'python',
    'javascript',
    'javascriptreact',
    'typescript',
    'typescriptreact',
    'go',
    'rust',
    'java',
    'c',
    'cpp',
    'ruby',
    'lua',
    'cs',
    'php',
    'sh',
  },
  root_markers = { '.git', 'pyproject.toml', 'package.json', 'go.mod', 'Cargo.toml', '.hg' },
  settings = { grove = {} },
  -- A crashed server is restarted with backoff (require('grove').setup{ restart = ... }).
  on_exit = function(code, signal)
    local ok, restart = pcall(require, 'grove.restart') -- absent when only this file is installed
    if ok then
      restart.on_exit(code, signal)
    end
  end,
  before_init = function(params, config)
    -- The server reads both initializationOptions and workspace/configuration.
    params.initializationOptions = vim.tbl_get(config, 'settings', 'grove') or vim.empty_dict()
    -- Ask the server to push `grove/status` when it changes (see :h grove-statusline).
    local experimental = params.capabilities.experimental
    params.capabilities.experimental =
      vim.tbl_extend('force', type(experimental) == 'table' and experimental or {}, { groveStatus = true })
  end,
}
