-- Grove language server configuration for Neovim 0.11+ (`vim.lsp.enable('grove')`).
--
-- Override any field with `vim.lsp.config('grove', { ... })` or `require('grove').setup{ ... }`.
-- Settings live under the single `grove` section; they are sent as initializationOptions and
-- answered to the server's `workspace/configuration` requests.

-- No `filetypes`: Grove attaches to every buffer that has a filetype (Kotlin, Markdown, ...);
-- restrict it with `filetypes = { ... }` in vim.lsp.config or setup{}. Buffers are announced with
-- LSP languageIds ('csharp' for filetype 'cs', 'shellscript' for 'sh'), the names that settings
-- such as `completion.disabledLanguages` use. The table comes from the server's language registry.
-- BEGIN GENERATED language ids (scripts/sync_languages.py; do not edit)
local LANGUAGE_IDS = {
  bash = 'shellscript',
  cs = 'csharp',
  cuda = 'cuda-cpp',
  dosbatch = 'bat',
  gitcommit = 'git-commit',
  gitrebase = 'git-rebase',
  make = 'makefile',
  objc = 'objective-c',
  objcpp = 'objective-cpp',
  ps1 = 'powershell',
  sh = 'shellscript',
  tex = 'latex',
  text = 'plaintext',
  zsh = 'shellscript',
}
-- END GENERATED language ids

---@type vim.lsp.Config
return {
  cmd = { 'grove', 'serve' },
  get_language_id = function(_, filetype)
    return LANGUAGE_IDS[filetype] or filetype
  end,
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
    -- Ask the server to push `grove/status` when it changes (lua/grove/statusline.lua).
    local experimental = params.capabilities.experimental
    params.capabilities.experimental =
      vim.tbl_extend('force', type(experimental) == 'table' and experimental or {}, { groveStatus = true })
  end,
}
