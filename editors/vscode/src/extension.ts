// Grove for VS Code: a thin client. It finds and starts the server, passes the `grove` settings,
// forwards Grove's commands (explanations stream into a Markdown preview) and shows the server's
// status. Inline completion is registered by vscode-languageclient ≥ 10.1 itself.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  type LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  type WorkspaceEdit,
  State,
} from 'vscode-languageclient/node';
import {
  CHECK_SETUP_COMMAND,
  CHECK_SETUP_TITLE,
  DOCTOR_COMMAND,
  SERVER_COMMANDS,
  STATUS_COMMAND,
  STATUS_NOTIFICATION,
  STREAMED_COMMANDS,
  TITLES,
  type ServerCommandName,
  codePointColumn,
  commandArguments,
  isAdvertised,
  isServerArguments,
  notSupportedMessage,
  pickDiagnostic,
  readResult,
  setupOutcome,
  withStreamToken,
} from './commands';
import { PROGRESS_NOTIFICATION, resultContent } from './explanationStream';
import { GroveLanguageClient } from './groveClient';
import { ExplanationPanel } from './markdownPanel';
import { DOCUMENT_SELECTOR, completionMiddleware, settingsForServer } from './perLanguage';
import { RestartPolicy, gaveUpMessage } from './restartPolicy';
import { INSTALL_COMMAND, type LookupResult, lookupServer } from './serverLookup';
import { SECTION } from './settings';
import { type StatusView, startingView, statusLines, statusView, stoppedView } from './status';


let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let statusItem: vscode.LanguageStatusItem;
let explanations: ExplanationPanel;
const restarts = new RestartPolicy();
let pendingRestart: ReturnType<typeof setTimeout> | undefined;

/** Replace the crashed client with a new one after `delay` ms (unless it was replaced already). */
function scheduleRestart(crashed: LanguageClient, delay: number): void {
  cancelPendingRestart();
  pendingRestart = setTimeout(() => {
    pendingRestart = undefined;
    if (client !== crashed) {
      return;
    }
    void stopClient().then(startClient);
  }, delay);
}

function cancelPendingRestart(): void {
  if (pendingRestart !== undefined) {
    clearTimeout(pendingRestart);
    pendingRestart = undefined;
  }
}

function isExecutable(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) {
      return false;
    }
    if (process.platform === 'win32') {
      return true;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface PythonExtensionApi {
  settings?: {
    getExecutionDetails?: (resource?: vscode.Uri) => { execCommand: string[] | undefined };
  };
  environments?: {
    getActiveEnvironmentPath?: (resource?: vscode.Uri) => { path: string } | undefined;
  };
}

/** The Python extension's active interpreter, if that extension is installed (optional). */
async function pythonInterpreter(): Promise<string[] | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const details = api?.settings?.getExecutionDetails?.(resource)?.execCommand;
    if (details && details.length > 0) {
      return details;
    }
    const active = api?.environments?.getActiveEnvironmentPath?.(resource)?.path;
    return active ? [active] : undefined;
  } catch (error) {
    output.appendLine(`Python extension API unavailable: ${String(error)}`);
    return undefined;
  }
}

async function findServer(): Promise<LookupResult> {
  const config = vscode.workspace.getConfiguration(SECTION);
  return lookupServer({
    serverPath: config.get<string>('serverPath', ''),
    pythonCommand: await pythonInterpreter(),
    envPath: process.env.PATH,
    pathExt: process.env.PATHEXT,
    platform: process.platform,
    homeDir: os.homedir(),
    isExecutable,
  });
}

function showStatus(view: StatusView): void {
  statusItem.text = view.text;
  statusItem.detail = view.detail;
  statusItem.busy = view.busy;
  statusItem.severity =
    view.severity === 'error'
      ? vscode.LanguageStatusSeverity.Error
      : view.severity === 'warning'
        ? vscode.LanguageStatusSeverity.Warning
        : vscode.LanguageStatusSeverity.Information;
}

async function refreshStatus(): Promise<unknown> {
  if (!client || client.state !== State.Running || !isAdvertised(client.initializeResult?.capabilities, STATUS_COMMAND)) {
    return undefined;
  }
  try {
    const status = await client.sendRequest('workspace/executeCommand', { command: STATUS_COMMAND, arguments: [] });
    showStatus(statusView(status));
    return status;
  } catch (error) {
    output.appendLine(`grove.status failed: ${String(error)}`);
    return undefined;
  }
}

async function notFound(message: string): Promise<void> {
  output.appendLine(message);
  showStatus(stoppedView('server not found'));
  const copy = 'Copy install command';
  const settings = 'Open settings';
  const choice = await vscode.window.showErrorMessage(message, copy, settings);
  if (choice === copy) {
    await vscode.env.clipboard.writeText(INSTALL_COMMAND);
  } else if (choice === settings) {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'grove.serverPath');
  }
}

async function startClient(): Promise<void> {
  showStatus(startingView());
  const found = await findServer();
  if (found.kind === 'notFound') {
    await notFound(found.message);
    return;
  }
  output.appendLine(`Starting ${found.description}`);
  const serverOptions: ServerOptions = { command: found.command, args: found.args };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: output,
    traceOutputChannel: output,
    synchronize: { configurationSection: SECTION },
    initializationOptions: () => settingsForServer(vscode.workspace.getConfiguration(SECTION)),
    middleware: {
      ...completionMiddleware,
      workspace: {
        // Answer the server's workspace/configuration without the client-only keys, with the
        // per-language completion.enabled values folded in (see perLanguage.ts).
        configuration: async (params, token, next) => {
          const result = await next(params, token);
          if (!Array.isArray(result)) {
            return result;
          }
          return result.map((value: unknown, index: number) =>
            params.items[index]?.section === SECTION ? settingsForServer(value) : value,
          );
        },
      },
    },
    errorHandler: {
      error: () => ({ action: ErrorAction.Continue }),
      closed: () => {
        if (restarts.shouldRestart()) {
          const delay = restarts.delayMs();
          output.appendLine(
            `Grove server stopped; restarting in ${delay} ms (${restarts.recentCrashes}/${restarts.max}).`,
          );
          showStatus(startingView());
          scheduleRestart(created, delay);
          // Not CloseAction.Restart: that restarts at once; the backoff is ours.
          return { action: CloseAction.DoNotRestart, handled: true };
        }
        const message = gaveUpMessage(restarts.max, restarts.windowMs);
        showStatus(stoppedView('crashed repeatedly'));
        return { action: CloseAction.DoNotRestart, message };
      },
    },
  };
  // Not LanguageClient: it would also register the command IDs the extension owns (see groveClient.ts).
  const created = new GroveLanguageClient('grove', 'Grove', serverOptions, clientOptions);
  client = created;
  created.onDidChangeState((event) => {
    if (event.newState === State.Running) {
      void refreshStatus();
    } else if (event.newState === State.Stopped && pendingRestart === undefined) {
      showStatus(stoppedView('server stopped'));
    }
  });
  try {
    await created.start();
    // Kept across the client's own restarts after a crash; a new client registers it again.
    created.onNotification(PROGRESS_NOTIFICATION, (params: unknown) => explanations.progress(params));
    created.onNotification(STATUS_NOTIFICATION, (status: unknown) => showStatus(statusView(status)));
    await refreshStatus();
  } catch (error) {
    const message = `Grove: the server (${found.description}) failed to start: ${String(error)}`;
    output.appendLine(message);
    showStatus(stoppedView('failed to start'));
    void vscode.window.showErrorMessage(message, 'Show logs').then((choice) => {
      if (choice) {
        output.show(true);
      }
    });
  }
}

async function stopClient(): Promise<void> {
  cancelPendingRestart();
  const current = client;
  client = undefined;
  if (current) {
    try {
      await current.stop(2000);
    } catch (error) {
      output.appendLine(`stopping the server: ${String(error)}`);
    }
    await current.dispose();
  }
}

function editorContext(editor: vscode.TextEditor, running: LanguageClient) {
  const c2p = running.code2ProtocolConverter;
  const document = editor.document;
  const position = editor.selection.active;
  // Columns in characters, as the Neovim plugin counts them (see pickDiagnostic).
  const column = (line: number, character: number) =>
    codePointColumn(line < document.lineCount ? document.lineAt(line).text : '', character);
  const diagnostic = pickDiagnostic(vscode.languages.getDiagnostics(document.uri), position, column);
  return {
    uri: c2p.asUri(document.uri),
    position: c2p.asPosition(position),
    selection: editor.selection.isEmpty ? undefined : c2p.asRange(editor.selection),
    diagnostic: diagnostic ? c2p.asDiagnostic(diagnostic) : undefined,
  };
}

/** The running client, when its server offers `command`; else undefined, after saying why. */
function clientFor(command: string): LanguageClient | undefined {
  const running = client;
  if (!running || running.state !== State.Running) {
    void vscode.window.showWarningMessage('Grove: the server is not running. Run "Grove: Restart server".');
    return undefined;
  }
  if (!isAdvertised(running.initializeResult?.capabilities, command)) {
    void vscode.window.showInformationMessage(
      notSupportedMessage(command, running.initializeResult?.serverInfo?.version),
    );
    return undefined;
  }
  return running;
}

/**
 * Run a server command. With the server's own arguments (a code action's command) they are sent
 * as given; without (palette, context menu) they are built from the active editor. Explanations
 * open at once in a preview that follows `grove/explanationProgress` until the result arrives.
 */
async function forward(command: ServerCommandName, invokedWith: readonly unknown[]): Promise<void> {
  const running = clientFor(command);
  if (!running) {
    return;
  }
  let args: unknown[];
  if (isServerArguments(invokedWith)) {
    args = [...invokedWith];
  } else {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Grove: open a file first.');
      return;
    }
    args = commandArguments(command, editorContext(editor, running));
  }
  const explanation = STREAMED_COMMANDS.has(command) ? explanations.begin(TITLES[command]) : undefined;
  let showing: Promise<void> = Promise.resolve();
  if (explanation) {
    args = withStreamToken(args, explanation.token);
    showing = explanations.show(explanation).catch((error: unknown) => {
      output.appendLine(`showing the explanation: ${String(error)}`);
    });
  }
  statusItem.busy = true;
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Grove: ${TITLES[command]}` },
      () => running.sendRequest('workspace/executeCommand', { command, arguments: args }),
    );
    const action = readResult(result);
    if (action.kind === 'edit' && !action.applied) {
      // Only for a client without workspace/applyEdit: otherwise the server sent it that way.
      const edit = await running.protocol2CodeConverter.asWorkspaceEdit(action.edit as WorkspaceEdit);
      await vscode.workspace.applyEdit(edit);
    }
    if (explanation) {
      explanations.complete(explanation, resultContent(TITLES[command], action));
    } else if (action.kind === 'markdown') {
      await explanations.showResult(TITLES[command], resultContent(TITLES[command], action));
    } else if (action.kind === 'message') {
      void vscode.window.showInformationMessage(`Grove: ${action.message}`);
    } else if (action.kind === 'unexpected') {
      output.appendLine(`${command}: unexpected result ${action.json}`);
      void vscode.window.showWarningMessage(`Grove: ${command} returned a result this extension does not know.`);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    output.appendLine(`${command} failed: ${String(error)}`);
    if (explanation) {
      explanations.fail(explanation, message);
    }
    void vscode.window.showErrorMessage(`Grove: ${command} failed: ${message}`);
  } finally {
    await showing;
    statusItem.busy = false;
    void refreshStatus();
  }
}

/**
 * "Grove: Check setup": the server's setup checks (`grove.doctor`, the checks of `grove doctor`)
 * as a Markdown report beside the editor, and a warning when something blocks completions.
 */
async function checkSetup(): Promise<void> {
  const running = clientFor(DOCTOR_COMMAND);
  if (!running) {
    return;
  }
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Grove: checking the setup' },
      () => running.sendRequest('workspace/executeCommand', { command: DOCTOR_COMMAND, arguments: [] }),
    );
    await explanations.showResult(CHECK_SETUP_TITLE, resultContent(CHECK_SETUP_TITLE, readResult(result)));
    const outcome = setupOutcome(result);
    if (outcome && !outcome.ok) {
      void vscode.window.showWarningMessage(`Grove: ${outcome.summary}; the setup check says how to fix it.`);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    output.appendLine(`${DOCTOR_COMMAND} failed: ${String(error)}`);
    void vscode.window.showErrorMessage(`Grove: ${DOCTOR_COMMAND} failed: ${message}`);
  } finally {
    void refreshStatus();
  }
}

async function statusCommand(): Promise<void> {
  if (!client || client.state !== State.Running) {
    void vscode.window.showWarningMessage('Grove: the server is not running.');
    return;
  }
  if (!isAdvertised(client.initializeResult?.capabilities, STATUS_COMMAND)) {
    void vscode.window.showInformationMessage(notSupportedMessage(STATUS_COMMAND));
    return;
  }
  const status = await refreshStatus();
  const items: vscode.QuickPickItem[] = statusLines(status).map((line) => ({ label: line }));
  items.push({ label: '$(output) Show logs', description: 'grove.showLogs' });
  const picked = await vscode.window.showQuickPick(items, { title: 'Grove status' });
  if (picked?.description === 'grove.showLogs') {
    output.show(true);
  }
}

async function toggleInlineCompletions(): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const enabled = config.get<boolean>('completion.enabled', true);
  const inspected = config.inspect<boolean>('completion.enabled');
  const target =
    inspected?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : inspected?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
  await config.update('completion.enabled', !enabled, target);
  void vscode.window.showInformationMessage(`Grove: inline completions ${enabled ? 'off' : 'on'}.`);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('Grove', { log: true });
  statusItem = vscode.languages.createLanguageStatusItem('grove.status', DOCUMENT_SELECTOR);
  statusItem.name = 'Grove';
  statusItem.command = { title: 'Show logs', command: 'grove.showLogs' };
  explanations = new ExplanationPanel();
  context.subscriptions.push(output, statusItem, explanations);

  for (const command of SERVER_COMMANDS) {
    // Arguments: none from the palette, the document's Uri from the context menu, the server's
    // params from a code action (see forward).
    context.subscriptions.push(
      vscode.commands.registerCommand(command, (...args: unknown[]) => forward(command, args)),
    );
  }
  context.subscriptions.push(
    vscode.commands.registerCommand('grove.restartServer', async () => {
      restarts.reset();
      await stopClient();
      await startClient();
    }),
    vscode.commands.registerCommand('grove.showLogs', () => output.show(true)),
    vscode.commands.registerCommand('grove.toggleInlineCompletions', toggleInlineCompletions),
    vscode.commands.registerCommand(STATUS_COMMAND, statusCommand),
    vscode.commands.registerCommand(CHECK_SETUP_COMMAND, checkSetup),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('grove.serverPath')) {
        output.appendLine('grove.serverPath changed; restarting the server.');
        restarts.reset();
        await stopClient();
        await startClient();
      } else if (event.affectsConfiguration(SECTION)) {
        // The client forwards the change (didChangeConfiguration); the server pulls the new values.
        setTimeout(() => void refreshStatus(), 500);
      }
    }),
  );
  await startClient();
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
