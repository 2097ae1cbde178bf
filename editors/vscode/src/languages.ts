// VS Code language ids Grove serves (the same languages as editors/neovim/lsp/grove.lua).
export const LANGUAGES = [
  'python',
  'javascript',
  'typescript',
  'typescriptreact',
  'javascriptreact',
  'go',
  'rust',
  'java',
  'c',
  'cpp',
  'ruby',
  'lua',
  'csharp',
  'php',
  'shellscript',
] as const;
