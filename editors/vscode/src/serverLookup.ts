// Where the Grove server comes from. Pure: the file system and environment are injected, so this
// module needs no `vscode` and is unit-tested with plain Node.
import * as path from 'node:path';

/** Grove is not on PyPI: it is installed from a clone of its repository (see the README). */
export const INSTALL_COMMAND = "pip install -e '<clone>[local]'";

export type ServerSource = 'setting' | 'pythonExtension' | 'path';

export interface ServerCommand {
  kind: 'found';
  command: string;
  args: string[];
  source: ServerSource;
  /** Human-readable description for logs. */
  description: string;
}

export interface ServerNotFound {
  kind: 'notFound';
  message: string;
}

export type LookupResult = ServerCommand | ServerNotFound;

export interface LookupInput {
  /** The `grove.serverPath` setting ('' or undefined: not set). */
  serverPath?: string;
  /**
   * The Python extension's active interpreter command (`execCommand`, e.g. ['/venv/bin/python'] or
   * ['conda', 'run', '-n', 'x', 'python']); undefined when the extension is absent.
   */
  pythonCommand?: string[];
  /** The PATH environment variable. */
  envPath?: string;
  /** Windows PATHEXT (only used when platform is win32). */
  pathExt?: string;
  platform?: NodeJS.Platform;
  homeDir?: string;
  /** True when the path is an existing, executable regular file. */
  isExecutable: (file: string) => boolean;
}

const PYTHON_NAME = /^python(\d+(\.\d+)*)?(\.exe)?$/i;

/** True for a path whose file name is a Python interpreter (python, python3, python3.12.exe). */
export function isPythonInterpreter(file: string): boolean {
  return PYTHON_NAME.test(path.basename(file.replace(/\\/g, '/')));
}

function expandHome(file: string, home: string | undefined): string {
  if (home && (file === '~' || file.startsWith('~/') || file.startsWith('~\\'))) {
    return path.join(home, file.slice(1));
  }
  return file;
}

/** The command line for an executable: a Python interpreter runs `-m server`, anything else `serve`. */
export function commandFor(executable: string, source: ServerSource, prefix: string[] = []): ServerCommand {
  const python = isPythonInterpreter(executable);
  const args = python ? [...prefix, '-m', 'server'] : [...prefix, 'serve'];
  return {
    kind: 'found',
    command: executable,
    args,
    source,
    description: `${[executable, ...args].join(' ')} (from ${describeSource(source)})`,
  };
}

function describeSource(source: ServerSource): string {
  switch (source) {
    case 'setting':
      return 'the grove.serverPath setting';
    case 'pythonExtension':
      return "the Python extension's interpreter";
    case 'path':
      return 'PATH';
  }
}

/** Search PATH for an executable; on Windows also try each PATHEXT extension. */
export function findOnPath(
  name: string,
  envPath: string | undefined,
  isExecutable: (file: string) => boolean,
  platform: NodeJS.Platform = process.platform,
  pathExt?: string,
): string | undefined {
  if (!envPath) {
    return undefined;
  }
  const delimiter = platform === 'win32' ? ';' : ':';
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  const extensions =
    platform === 'win32' ? ['', ...(pathExt ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)] : [''];
  for (const dir of envPath.split(delimiter)) {
    if (!dir) {
      continue;
    }
    for (const ext of extensions) {
      const candidate = join(dir, name + ext);
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/**
 * The `grove` script that pip installs next to an interpreter (venv/bin/grove, venv\Scripts\grove.exe).
 * The interpreter is only used when Grove is installed in it, so an unrelated `server` module is
 * never run by `python -m server`.
 */
function groveNextTo(python: string, input: LookupInput): string | undefined {
  const win = (input.platform ?? process.platform) === 'win32';
  const dir = win ? path.win32.dirname(python) : path.posix.dirname(python);
  const candidates = win
    ? [path.win32.join(dir, 'grove.exe'), path.win32.join(dir, 'Scripts', 'grove.exe')]
    : [path.posix.join(dir, 'grove')];
  return candidates.find((file) => input.isExecutable(file));
}

/** Setting → the Python extension's interpreter (with Grove installed) → `grove` on PATH. */
export function lookupServer(input: LookupInput): LookupResult {
  const setting = input.serverPath?.trim();
  if (setting) {
    const file = expandHome(setting, input.homeDir);
    if (!input.isExecutable(file)) {
      return {
        kind: 'notFound',
        message:
          `Grove: grove.serverPath is set to "${setting}", which is not an executable file. ` +
          `Fix the setting, or clear it and install the server from a clone of the Grove repository ` +
          `with \`${INSTALL_COMMAND}\` (see the Grove README).`,
      };
    }
    return commandFor(file, 'setting');
  }
  const python = input.pythonCommand;
  if (python && python.length > 0) {
    const interpreter = python[python.length - 1];
    if (python.length === 1 && path.isAbsolute(interpreter) && groveNextTo(interpreter, input)) {
      return commandFor(interpreter, 'pythonExtension');
    }
  }
  const onPath = findOnPath('grove', input.envPath, input.isExecutable, input.platform, input.pathExt);
  if (onPath) {
    return commandFor(onPath, 'path');
  }
  return {
    kind: 'notFound',
    message:
      'Grove: the Grove language server was not found (no grove.serverPath setting, not installed in ' +
      `the selected Python interpreter, no \`grove\` on PATH). Install it from a clone of the Grove repository with ` +
      `\`${INSTALL_COMMAND}\` (see the Grove README), then run "Grove: Restart server".`,
  };
}
