// Command gating and result handling, pure (no `vscode`): what the extension forwards to the
// server, what arguments it sends (the same shapes as the Neovim plugin) and what it does with
// the result.

/**
 * Server commands the extension exposes. The names are stable; the server defines them in
 * server/lsp/features/ (docstrings.py, explain.py, review.py).
 */
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

/** The server's setup checks (`grove doctor`), which "Grove: Check setup" runs and shows. */
export const DOCTOR_COMMAND = 'grove.doctor';
export const CHECK_SETUP_COMMAND = 'grove.checkSetup';
export const CHECK_SETUP_TITLE = 'Setup check';

/** Client-side commands. */
export const CLIENT_COMMANDS = [
  'grove.restartServer',
  'grove.showLogs',
  'grove.toggleInlineCompletions',
  'grove.status',
  CHECK_SETUP_COMMAND,
] as const;

/** Every command ID the extension registers itself (package.json contributes them). */
export const EXTENSION_COMMANDS: ReadonlySet<string> = new Set<string>([...SERVER_COMMANDS, ...CLIENT_COMMANDS]);

/** Server commands the extension runs under another name (`grove.doctor`: "Grove: Check setup"). */
const RUN_BY_EXTENSION: ReadonlySet<string> = new Set<string>([DOCTOR_COMMAND]);

/**
 * The advertised commands vscode-languageclient may register (it registers every command in
 * `executeCommandProvider.commands`): all but the extension's own, which VS Code would refuse
 * as duplicates ("command '…' already exists"), failing the client's start, and those the
 * extension runs under a command of its own. The rest (e.g. `grove.accepted`, run when an
 * inline completion is accepted) stay with the client.
 */
export function serverRegisteredCommands(advertised: readonly string[]): string[] {
  return advertised.filter((command) => !EXTENSION_COMMANDS.has(command) && !RUN_BY_EXTENSION.has(command));
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

/**
 * A Grove command result, as the server builds it (server/lsp/command_results.py): an `edit` the
 * editor already applied through `workspace/applyEdit` (`applied: true`) or one to apply, Markdown
 * to show, or one message. `none` is a null result; `unexpected` anything else (shown as such).
 */
export type CommandResult =
  | { kind: 'edit'; edit: unknown; applied: boolean }
  | { kind: 'markdown'; markdown: string }
  | { kind: 'message'; message: string }
  | { kind: 'none' }
  | { kind: 'unexpected'; json: string };

/** The one reader of Grove command results (`{kind: "edit" | "markdown" | "message", ...}`). */
export function readResult(result: unknown): CommandResult {
  if (result === null || result === undefined) {
    return { kind: 'none' };
  }
  if (isRecord(result)) {
    if (result.kind === 'edit' && isRecord(result.edit) && typeof result.applied === 'boolean') {
      return { kind: 'edit', edit: result.edit, applied: result.applied };
    }
    if (result.kind === 'markdown' && typeof result.markdown === 'string') {
      return { kind: 'markdown', markdown: result.markdown };
    }
    if (result.kind === 'message' && typeof result.message === 'string') {
      return { kind: 'message', message: result.message };
    }
  }
  return { kind: 'unexpected', json: JSON.stringify(result, null, 2) ?? String(result) };
}

/** What a `grove.doctor` result says in one line: ready, or how many problems block completions. */
export interface SetupOutcome {
  ok: boolean;
  summary: string;
}

/**
 * The outcome of a `grove.doctor` result (`data: {ok, summary, checks}`, see server/doctor.py);
 * undefined for anything else. The report itself is the result's Markdown.
 */
export function setupOutcome(result: unknown): SetupOutcome | undefined {
  const data = isRecord(result) ? result.data : undefined;
  if (!isRecord(data) || typeof data.ok !== 'boolean') {
    return undefined;
  }
  const checks = Array.isArray(data.checks) ? data.checks : [];
  const failed = checks.filter((check) => isRecord(check) && check.state === 'fail').length;
  const summary =
    typeof data.summary === 'string' && data.summary !== ''
      ? data.summary
      : data.ok
        ? 'Ready'
        : `Completions are blocked: ${failed} problem(s)`;
  return { ok: data.ok, summary };
}

/** A diagnostic as {@link pickDiagnostic} sees it (VS Code's, or LSP's: lower severity = worse). */
export interface DiagnosticLike {
  range: Range;
  severity?: number;
  source?: string;
  message: string;
}

function before(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

/**
 * The diagnostic "Explain this diagnostic" explains at `position` (the Neovim plugin applies the
 * same rule, `at` in editors/neovim/lua/grove/diagnostics.lua):
 *
 * 1. only diagnostics whose range contains the cursor (both ends included);
 * 2. the narrowest range: fewest lines, then fewest characters from its start column to its end
 *    column, counted in characters (code points) by `column`, so both editors measure alike;
 * 3. then the most severe (error, warning, information, hint: the lower number; none: the most);
 * 4. then Grove's own (source `grove`) before other sources;
 * 5. then by source, then message (string order), so the choice never depends on list order.
 *
 * `column(line, character)` turns an editor column into a character count (identity for ASCII).
 */
export function pickDiagnostic<T extends DiagnosticLike>(
  diagnostics: readonly T[],
  position: Position,
  column: (line: number, character: number) => number = (_line, character) => character,
): T | undefined {
  const width = (d: T): [number, number] => {
    const { start, end } = d.range;
    return [end.line - start.line, column(end.line, end.character) - column(start.line, start.character)];
  };
  const severity = (d: T): number => d.severity ?? 0;
  const grove = (d: T): number => (d.source === 'grove' ? 0 : 1);
  const text = (value: string | undefined): string => value ?? '';
  const order = (a: T, b: T): number => {
    const [aLines, aChars] = width(a);
    const [bLines, bChars] = width(b);
    const keys: [number, number][] = [
      [aLines, bLines],
      [aChars, bChars],
      [severity(a), severity(b)],
      [grove(a), grove(b)],
    ];
    for (const [x, y] of keys) {
      if (x !== y) {
        return x - y;
      }
    }
    for (const [x, y] of [
      [text(a.source), text(b.source)],
      [a.message, b.message],
    ]) {
      if (x !== y) {
        return x < y ? -1 : 1;
      }
    }
    return 0;
  };
  const containing = diagnostics.filter((d) => !before(position, d.range.start) && !before(d.range.end, position));
  return [...containing].sort(order)[0];
}

/** The number of characters (code points) in the first `utf16` UTF-16 units of `text`. */
export function codePointColumn(text: string, utf16: number): number {
  return [...text.slice(0, utf16)].length;
}
