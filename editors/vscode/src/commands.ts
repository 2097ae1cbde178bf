// Command gating and result handling, pure (no `vscode`): what the extension forwards to the
// server, what arguments it sends (the same shapes as the Neovim plugin) and what it does with
// the result.

/** Server commands the extension exposes (names are stable; see DESIGN.md §1). */
export const SERVER_COMMANDS = [
  'grove.generateDocstring',
  'grove.explain',
  'grove.explainDiagnostic',
  'grove.review',
] as const;
export type ServerCommandName = (typeof SERVER_COMMANDS)[number];

export const STATUS_COMMAND = 'grove.status';
/** The experimental client capability that asks the server to push `grove/status` on changes. */
export const STATUS_CAPABILITY = 'groveStatus';
export const STATUS_NOTIFICATION = 'grove/status';

/** Client-side commands. */
export const CLIENT_COMMANDS = [
  'grove.restartServer',
  'grove.showLogs',
  'grove.toggleInlineCompletions',
  'grove.status',
] as const;

/** Every command ID the extension registers itself (package.json contributes them). */
export const EXTENSION_COMMANDS: ReadonlySet<string> = new Set<string>([...SERVER_COMMANDS, ...CLIENT_COMMANDS]);

/**
 * The advertised commands vscode-languageclient may register (it registers every command in
 * `executeCommandProvider.commands`): all but the extension's own, which VS Code would refuse
 * as duplicates ("command '…' already exists"), failing the client's start. The rest (e.g.
 * `grove.accepted`, run when an inline completion is accepted) stay with the client.
 */
export function serverRegisteredCommands(advertised: readonly string[]): string[] {
  return advertised.filter((command) => !EXTENSION_COMMANDS.has(command));
}

/** Commands whose Markdown result streams into the panel (`grove/explanationProgress`). */
export const STREAMED_COMMANDS: ReadonlySet<ServerCommandName> = new Set<ServerCommandName>([
  'grove.explain',
  'grove.explainDiagnostic',
]);

export const TITLES: Record<ServerCommandName, string> = {
  'grove.generateDocstring': 'Docstring',
  'grove.explain': 'Explanation',
  'grove.explainDiagnostic': 'Diagnostic',
  'grove.review': 'Review',
};

export interface ExecuteCommandCapabilities {
  executeCommandProvider?: { commands?: string[] } | null;
}

/** The commands the server advertised in `executeCommandProvider.commands`. */
export function advertisedCommands(capabilities: ExecuteCommandCapabilities | undefined): Set<string> {
  return new Set(capabilities?.executeCommandProvider?.commands ?? []);
}

export function isAdvertised(capabilities: ExecuteCommandCapabilities | undefined, command: string): boolean {
  return advertisedCommands(capabilities).has(command);
}

export function notSupportedMessage(command: string, serverVersion?: string): string {
  const version = serverVersion ? ` (grove ${serverVersion})` : '';
  return `Grove: "${command}" is not supported by this server yet${version}.`;
}

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}
export interface EditorContext {
  uri: string;
  position: Position;
  /** The selection, when it is not empty. */
  selection?: Range;
  /** The LSP diagnostic under the cursor (already converted by the client), if any. */
  diagnostic?: unknown;
}

/** `workspace/executeCommand` arguments for a server command (one params object, as in Neovim). */
export function commandArguments(command: ServerCommandName, context: EditorContext): unknown[] {
  const textDocument = { uri: context.uri };
  switch (command) {
    case 'grove.generateDocstring':
      return [{ textDocument, position: context.position }];
    case 'grove.explain':
      return context.selection
        ? [{ textDocument, range: context.selection }]
        : [{ textDocument, position: context.position }];
    case 'grove.explainDiagnostic':
      return [{ textDocument, position: context.position, diagnostic: context.diagnostic ?? null }];
    case 'grove.review':
      return [{ textDocument }];
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether a command was run with the server's own arguments (a code action's `command`, or a
 * caller passing LSP params): a first argument that is a params object naming the document,
 * `{textDocument: {uri}, …}` or `{uri, …}`. From the palette there are none, and from the editor
 * context menu VS Code passes the document's `Uri`: then the arguments come from the editor.
 */
export function isServerArguments(args: readonly unknown[]): boolean {
  const first = args[0];
  if (!isRecord(first)) {
    return false;
  }
  const textDocument = first.textDocument;
  return (isRecord(textDocument) && typeof textDocument.uri === 'string') || typeof first.uri === 'string';
}

/** `args` with `stream: token` added to the first (params object) argument; the rest unchanged. */
export function withStreamToken(args: readonly unknown[], token: string): unknown[] {
  const [first, ...rest] = args;
  if (!isRecord(first)) {
    return [...args];
  }
  return [{ ...first, stream: token }, ...rest];
}

export type CommandResult =
  | { kind: 'none' }
  | { kind: 'edit'; edit: unknown }
  | { kind: 'markdown'; markdown: string };

/** What to do with a command's result: apply a WorkspaceEdit, show Markdown, or nothing. */
export function classifyResult(result: unknown, title: string): CommandResult {
  if (result === null || result === undefined || result === '') {
    return { kind: 'none' };
  }
  if (typeof result === 'string') {
    return { kind: 'markdown', markdown: `# ${title}\n\n${result}` };
  }
  if (typeof result === 'object' && !Array.isArray(result)) {
    const record = result as Record<string, unknown>;
    if ('changes' in record || 'documentChanges' in record) {
      return { kind: 'edit', edit: result };
    }
    for (const key of ['markdown', 'value', 'text']) {
      if (typeof record[key] === 'string') {
        return { kind: 'markdown', markdown: `# ${title}\n\n${record[key] as string}` };
      }
    }
  }
  return { kind: 'markdown', markdown: `# ${title}\n\n\`\`\`json\n${JSON.stringify(result, null, 2)}\n\`\`\`` };
}
