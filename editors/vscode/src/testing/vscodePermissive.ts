// A permissive `vscode` module for running the REAL vscode-languageclient outside VS Code.
// The few APIs the client's start-up depends on behave as in VS Code (commands refuse a second
// registration, output channels, configuration defaults, messages); everything else is an
// inert stand-in that accepts any call. Imported first by a test file, which then requires
// `vscode-languageclient/node` itself. Test-only: never bundled into the extension.
import Module from 'node:module';

export const registeredCommands = new Map<string, (...args: unknown[]) => unknown>();
export const shownMessages: string[] = [];
export const output: string[] = [];

/** An object that accepts any property access, call or construction (and is not thenable). */
function inert(name: string): unknown {
  const target = function () {} as unknown as Record<string | symbol, unknown>;
  return new Proxy(target, {
    get(object, prop) {
      if (prop === 'then') {
        return undefined;
      }
      if (prop === Symbol.hasInstance) {
        return () => false;
      }
      if (prop === Symbol.toPrimitive) {
        return () => name;
      }
      if (prop === 'dispose') {
        return () => undefined;
      }
      object[prop] ??= inert(`${name}.${String(prop)}`);
      return object[prop];
    },
    apply: () => inert(`${name}()`),
    construct: () => inert(`new ${name}`) as object,
  });
}

/** `base`, with any other property an inert stand-in. */
function permissive<T extends object>(base: T, name: string): T {
  return new Proxy(base, {
    get: (object, prop) => (prop in object ? (object as Record<string | symbol, unknown>)[prop] : inert(`${name}.${String(prop)}`)),
  });
}

class Disposable {
  constructor(private readonly onDispose?: () => void) {}
  dispose(): void {
    this.onDispose?.();
  }
  static from(...items: { dispose?: () => void }[]): Disposable {
    return new Disposable(() => items.forEach((item) => item.dispose?.()));
  }
}

class EventEmitter<T> {
  private listeners: ((event: T) => void)[] = [];
  readonly event = (listener: (event: T) => void) => {
    this.listeners.push(listener);
    return new Disposable(() => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    });
  };
  fire(event: T): void {
    this.listeners.forEach((listener) => listener(event));
  }
  dispose(): void {
    this.listeners = [];
  }
}

function outputChannel(): unknown {
  const log = (message: unknown) => {
    output.push(String(message));
  };
  return {
    name: 'Grove',
    logLevel: 2,
    onDidChangeLogLevel: () => new Disposable(),
    append: log,
    appendLine: log,
    trace: log,
    debug: log,
    info: log,
    warn: log,
    error: log,
    replace: () => undefined,
    clear: () => undefined,
    show: () => undefined,
    hide: () => undefined,
    dispose: () => undefined,
  };
}

const message = async (text: string) => {
  shownMessages.push(text);
  return undefined;
};

const vscode = permissive(
  {
    version: '1.95.0',
    Disposable,
    EventEmitter,
    env: { appName: 'Visual Studio Code', language: 'en', machineId: 'test', sessionId: 'test', uiKind: 1 },
    extensions: { getExtension: () => undefined, all: [] },
    commands: permissive(
      {
        registerCommand(id: string, handler: (...args: unknown[]) => unknown) {
          if (registeredCommands.has(id)) {
            throw new Error(`command '${id}' already exists`);
          }
          registeredCommands.set(id, handler);
          return new Disposable(() => registeredCommands.delete(id));
        },
        executeCommand: async () => undefined,
      },
      'commands',
    ),
    workspace: permissive(
      {
        workspaceFolders: undefined,
        textDocuments: [],
        notebookDocuments: [],
        getConfiguration: () => ({
          get: (_key: string, fallback?: unknown) => fallback,
          has: () => false,
          inspect: () => undefined,
          update: async () => undefined,
        }),
      },
      'workspace',
    ),
    window: permissive(
      {
        activeTextEditor: undefined,
        visibleTextEditors: [],
        createOutputChannel: outputChannel,
        showErrorMessage: message,
        showWarningMessage: message,
        showInformationMessage: message,
      },
      'window',
    ),
  },
  'vscode',
);

type Resolve = (request: string, ...rest: unknown[]) => string;
const internals = Module as unknown as { _resolveFilename: Resolve; _cache: Record<string, unknown> };
const original = internals._resolveFilename;
internals._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? 'permissive:vscode' : original.call(this, request, ...rest);
};
internals._cache['permissive:vscode'] = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode };
