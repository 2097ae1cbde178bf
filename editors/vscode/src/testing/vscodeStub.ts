// Tiny stand-ins for `vscode` (and, for extension tests, `vscode-languageclient/node`), installed
// with a require hook: no VS Code at test time. Import this module before any module that imports
// `vscode`. `calls` records what the code under test asked VS Code to do.
import Module from 'node:module';
import * as path from 'node:path';

export const calls: unknown[][] = [];
/** Answers to showErrorMessage/showInformationMessage/showQuickPick (first is used, then dropped). */
export const answers: unknown[] = [];
export const registered = new Map<string, (...args: unknown[]) => unknown>();
export const configuration: Record<string, unknown> = {};
/** Language overrides, as `"[markdown]": {"grove.completion.enabled": false}`: languageId → values. */
export const languageConfiguration: Record<string, Record<string, unknown>> = {};
const configListeners: ((event: { affectsConfiguration(section: string): boolean }) => unknown)[] = [];

function record(name: string) {
  return async (...args: unknown[]) => {
    calls.push([name, ...args]);
    return answers.shift();
  };
}

/** The languageId of a configuration scope (`{ languageId }` or a TextDocument), if any. */
function scopeLanguage(scope: unknown): string | undefined {
  const languageId = (scope as { languageId?: unknown } | undefined)?.languageId;
  return typeof languageId === 'string' ? languageId : undefined;
}

function sectionView(section: string, scope?: unknown) {
  const prefix = `${section}.`;
  const overrides = languageConfiguration[scopeLanguage(scope) ?? ''] ?? {};
  const view: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(configuration)) {
    if (!key.startsWith(prefix)) {
      continue;
    }
    const parts = key.slice(prefix.length).split('.');
    let node = view;
    for (const part of parts.slice(0, -1)) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return Object.assign(view, {
    get: <T>(key: string, fallback?: T) =>
      prefix + key in overrides
        ? overrides[prefix + key]
        : prefix + key in configuration
          ? configuration[prefix + key]
          : fallback,
    inspect: (key: string) => {
      const languageIds = Object.keys(languageConfiguration).filter((id) => prefix + key in languageConfiguration[id]);
      return {
        key: prefix + key,
        globalValue: configuration[prefix + key],
        globalLanguageValue: overrides[prefix + key],
        languageIds: languageIds.length > 0 ? languageIds : undefined,
      };
    },
    update: async (key: string, value: unknown, target: unknown) => {
      calls.push(['configuration.update', prefix + key, value, target]);
      configuration[prefix + key] = value;
    },
  });
}

/** Fire onDidChangeConfiguration for a changed setting name. */
export async function changeConfiguration(name: string): Promise<void> {
  for (const listener of configListeners) {
    await listener({ affectsConfiguration: (section) => name === section || name.startsWith(`${section}.`) });
  }
}

type Listener<T> = (event: T) => unknown;

/** vscode.EventEmitter: `event` subscribes, `fire` calls the listeners in order. */
export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(event: T): void {
    this.listeners.forEach((l) => l(event));
  }
  dispose(): void {
    this.listeners = [];
  }
}

/** vscode.Uri, enough of it: `scheme:[//authority]path[?query][#fragment]`. */
export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}
  static parse(value: string): Uri {
    const match = /^([A-Za-z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(value);
    if (!match) {
      throw new Error(`not a URI: ${value}`);
    }
    return new Uri(match[1], match[2] ?? '', match[3], match[4] ?? '', match[5] ?? '');
  }
  toString(): string {
    const authority = this.authority ? `//${this.authority}` : '';
    const query = this.query ? `?${this.query}` : '';
    const fragment = this.fragment ? `#${this.fragment}` : '';
    return `${this.scheme}:${authority}${this.path}${query}${fragment}`;
  }
}

export interface ContentProvider {
  onDidChange?: (listener: Listener<Uri>) => { dispose(): unknown };
  provideTextDocumentContent(uri: Uri): string;
}
/** Registered TextDocumentContentProviders by scheme. */
export const contentProviders = new Map<string, ContentProvider>();

export const outputLines: string[] = [];
export const statusItem: Record<string, unknown> = {};
export const state = { activeTextEditor: undefined as unknown, diagnostics: [] as unknown[] };

export const stub = {
  EventEmitter,
  Uri,
  CancellationError: class CancellationError extends Error {},
  LanguageStatusSeverity: { Information: 0, Warning: 1, Error: 2 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  window: {
    createOutputChannel: () => ({
      appendLine: (line: string) => outputLines.push(line),
      append: (text: string) => outputLines.push(text),
      show: () => calls.push(['output.show']),
      dispose: () => undefined,
      info: (line: string) => outputLines.push(line),
      error: (line: string) => outputLines.push(line),
    }),
    showInformationMessage: record('showInformationMessage'),
    showWarningMessage: record('showWarningMessage'),
    showErrorMessage: record('showErrorMessage'),
    showQuickPick: record('showQuickPick'),
    withProgress: async (_options: unknown, task: () => Promise<unknown>) => task(),
    get activeTextEditor() {
      return state.activeTextEditor;
    },
  },
  languages: {
    createLanguageStatusItem: (id: string) => Object.assign(statusItem, { id, dispose: () => undefined }),
    getDiagnostics: () => state.diagnostics,
  },
  commands: {
    // As VS Code: a second registration of an ID throws (and leaves the first one in place).
    registerCommand: (name: string, handler: (...args: unknown[]) => unknown) => {
      if (registered.has(name)) {
        throw new Error(`command '${name}' already exists`);
      }
      registered.set(name, handler);
      return { dispose: () => registered.delete(name) };
    },
    executeCommand: record('executeCommand'),
  },
  workspace: {
    workspaceFolders: undefined,
    getConfiguration: (section: string, scope?: unknown) => sectionView(section, scope),
    onDidChangeConfiguration: (listener: (typeof configListeners)[number]) => {
      configListeners.push(listener);
      return { dispose: () => undefined };
    },
    openTextDocument: async (options: { content: string; language: string }) => {
      calls.push(['openTextDocument', options]);
      return { uri: 'untitled:Untitled-1', getText: () => options.content };
    },
    applyEdit: record('applyEdit'),
    registerTextDocumentContentProvider: (scheme: string, provider: ContentProvider) => {
      if (contentProviders.has(scheme)) {
        throw new Error(`a content provider for '${scheme}' is already registered`);
      }
      contentProviders.set(scheme, provider);
      return { dispose: () => contentProviders.delete(scheme) };
    },
  },
  extensions: { getExtension: () => undefined },
  env: { clipboard: { writeText: record('clipboard.writeText') } },
};

// A fake vscode-languageclient: records how it was constructed and what it was asked.
export const State = { Stopped: 1, Starting: 3, Running: 2 };
export const CloseAction = { DoNotRestart: 1, Restart: 2 };
export const ErrorAction = { Continue: 1, Shutdown: 2 };

export const server = {
  capabilities: { executeCommandProvider: { commands: ['grove.status'] } } as Record<string, unknown>,
  responses: new Map<string, unknown>([
    ['grove.status', { target: 'embedded SmolLM2', lastError: null, inFlight: 0, completionEnabled: true }],
  ]),
};

interface FakeFeature {
  fillClientCapabilities?(capabilities: Record<string, unknown>): void;
  initialize(capabilities: unknown, documentSelector: unknown): void;
  clear(): void;
}

// vscode-languageclient's real ExecuteCommandFeature (not exported by the package: loaded by
// path, against this stub): it registers a VS Code command for every advertised command.
function executeCommandFeature(client: FakeLanguageClient): FakeFeature {
  const file = path.join(path.dirname(require.resolve('vscode-languageclient')), 'executeCommand.js');
  const { ExecuteCommandFeature } = require(file) as { ExecuteCommandFeature: new (client: unknown) => FakeFeature };
  return new ExecuteCommandFeature(client);
}

export class FakeLanguageClient {
  static instances: FakeLanguageClient[] = [];
  state = State.Stopped;
  requests: unknown[][] = [];
  features: FakeFeature[] = [];
  /** The client capabilities the features declared at the last start. */
  sentCapabilities: Record<string, unknown> = {};
  notificationHandlers = new Map<string, (params: unknown) => unknown>();
  initializeResult?: { capabilities: unknown; serverInfo?: { name: string; version?: string } };
  private listeners: ((event: { oldState: number; newState: number }) => void)[] = [];
  readonly code2ProtocolConverter = {
    asUri: (uri: string) => uri,
    asPosition: (p: unknown) => p,
    asRange: (r: unknown) => r,
    asDiagnostic: (d: unknown) => ({ converted: d }),
  };
  readonly protocol2CodeConverter = { asWorkspaceEdit: async (edit: unknown) => ({ code: edit }) };

  constructor(
    readonly id: string,
    readonly name: string,
    readonly serverOptions: { command: string; args: string[] },
    readonly clientOptions: Record<string, unknown>,
  ) {
    FakeLanguageClient.instances.push(this);
    // As the real client's constructor (registerBuiltinFeatures), through an overridable method.
    this.registerFeature(executeCommandFeature(this));
  }

  registerFeature(feature: FakeFeature) {
    this.features.push(feature);
  }

  get middleware() {
    return (this.clientOptions.middleware ?? {}) as Record<string, unknown>;
  }

  handleFailedRequest(_type: unknown, _token: unknown, error: unknown): never {
    throw error;
  }

  onNotification(method: string, handler: (params: unknown) => unknown) {
    this.notificationHandlers.set(method, handler);
    return { dispose: () => this.notificationHandlers.delete(method) };
  }

  /** The server sends a notification. */
  notify(method: string, params: unknown) {
    this.notificationHandlers.get(method)?.(params);
  }

  onDidChangeState(listener: (event: { oldState: number; newState: number }) => void) {
    this.listeners.push(listener);
    return { dispose: () => undefined };
  }

  private setState(newState: number) {
    const oldState = this.state;
    this.state = newState;
    this.listeners.forEach((l) => l({ oldState, newState }));
  }

  // As the real client: features initialize from the server's capabilities (a throw fails the
  // start), and stopping clears them (their VS Code commands are disposed).
  async start() {
    this.sentCapabilities = {};
    for (const feature of this.features) {
      feature.fillClientCapabilities?.(this.sentCapabilities);
    }
    this.initializeResult = { capabilities: server.capabilities, serverInfo: { name: 'grove', version: '0.1.0' } };
    for (const feature of this.features) {
      feature.initialize(structuredClone(server.capabilities), this.clientOptions.documentSelector);
    }
    this.setState(State.Running);
  }

  async stop() {
    this.features.forEach((feature) => feature.clear());
    this.setState(State.Stopped);
  }

  async dispose() {
    calls.push(['client.dispose']);
  }

  async sendRequest(type: string | { method: string }, params: { command: string; arguments: unknown[] }) {
    const method = typeof type === 'string' ? type : type.method;
    this.requests.push([method, params]);
    const response = server.responses.get(params.command);
    if (response instanceof Error) {
      throw response;
    }
    return typeof response === 'function' ? response(this, params) : response;
  }
}

const languageClient = { LanguageClient: FakeLanguageClient, State, CloseAction, ErrorAction };

type Resolve = (request: string, ...rest: unknown[]) => string;
const internals = Module as unknown as { _resolveFilename: Resolve; _cache: Record<string, unknown> };
const original = internals._resolveFilename;
const fakes: Record<string, unknown> = { vscode: stub, 'vscode-languageclient/node': languageClient };
internals._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request in fakes ? `fake:${request}` : original.call(this, request, ...rest);
};
for (const [name, fake] of Object.entries(fakes)) {
  internals._cache[`fake:${name}`] = { id: name, filename: name, loaded: true, exports: fake };
}
