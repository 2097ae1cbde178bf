// The extension's wiring, driven through stubbed `vscode` and `vscode-languageclient/node`.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  FakeLanguageClient,
  CloseAction,
  Uri,
  answers,
  calls,
  changeConfiguration,
  configuration,
  contentProviders,
  languageConfiguration,
  registered,
  server,
  state,
  statusItem,
} from '../testing/vscodeStub';
import { activate, deactivate } from '../extension';
import { WAITING } from '../explanationStream';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grove-ext-'));
const savedPath = process.env.PATH;
after(async () => {
  await deactivate();
  process.env.PATH = savedPath;
  fs.rmSync(tmp, { recursive: true, force: true });
});

function run(command: string, ...args: unknown[]): Promise<unknown> {
  const handler = registered.get(command);
  assert.ok(handler, `${command} is registered`);
  return Promise.resolve(handler(...args));
}

function lastClient(): FakeLanguageClient {
  const client = FakeLanguageClient.instances.at(-1);
  assert.ok(client);
  return client;
}

function callsNamed(name: string): unknown[][] {
  return calls.filter((c) => c[0] === name);
}

type ExecuteCommand = [string, { command: string; arguments: Record<string, unknown>[] }];

function requestsFor(command: string): ExecuteCommand[] {
  return lastClient().requests.filter((r) => (r[1] as { command: string }).command === command) as ExecuteCommand[];
}

/** The explanation document last opened in a preview: its URI and current text. */
function previewed(): { uri: string; text: () => string } {
  const [, command, uri] = callsNamed('executeCommand').at(-1) as [string, string, Uri];
  assert.equal(command, 'markdown.showPreviewToSide');
  assert.equal(uri.scheme, 'grove-explanation');
  const provider = contentProviders.get('grove-explanation');
  assert.ok(provider);
  return { uri: uri.toString(), text: () => provider.provideTextDocumentContent(uri) };
}

/** A server response the test settles later. */
function pending(): { promise: Promise<unknown>; resolve: (value: unknown) => void; reject: (error: Error) => void } {
  let resolve!: (value: unknown) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<unknown>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A Grove command result of kind markdown (server/lsp/command_results.py). */
const markdown = (text: string) => ({ kind: 'markdown', markdown: text });

/** Let pending promise chains (stop, find the server, start) run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await tick();
  }
}

describe('extension (stubbed vscode)', () => {
  before(() => {
    process.env.PATH = path.join(tmp, 'empty');
    configuration['grove.serverPath'] = '';
    configuration['grove.model'] = 'qwen';
    configuration['grove.trace.server'] = 'verbose';
    configuration['grove.completion.enabled'] = true;
  });

  it('server missing: an error with the install command, which can be copied', async () => {
    answers.push('Copy install command');
    await activate({ subscriptions: [] } as never);
    const [, message] = callsNamed('showErrorMessage')[0] as [string, string];
    assert.ok(message.includes("pip install -e '<clone>[local]'"));
    assert.deepEqual(callsNamed('clipboard.writeText'), [['clipboard.writeText', "pip install -e '<clone>[local]'"]]);
    assert.equal(FakeLanguageClient.instances.length, 0);
    assert.equal(statusItem.text, 'Grove: stopped');
    for (const command of [
      'grove.generateDocstring',
      'grove.explain',
      'grove.explainDiagnostic',
      'grove.review',
      'grove.restartServer',
      'grove.showLogs',
      'grove.toggleInlineCompletions',
      'grove.status',
    ]) {
      assert.ok(registered.has(command), command);
    }
  });

  it('restart finds grove on PATH and starts it over stdio with the grove settings', async () => {
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'grove'), '#!/bin/sh\n');
    fs.chmodSync(path.join(bin, 'grove'), 0o755);
    process.env.PATH = bin;
    await run('grove.restartServer');
    const client = lastClient();
    assert.deepEqual(client.serverOptions, { command: path.join(bin, 'grove'), args: ['serve'] });
    const options = client.clientOptions as {
      documentSelector: { scheme: string; language?: string }[];
      synchronize: { configurationSection: string };
      initializationOptions: () => unknown;
    };
    // Every language (Kotlin too): files on disk and unsaved ones; the server decides.
    assert.deepEqual(options.documentSelector, [{ scheme: 'file' }, { scheme: 'untitled' }]);
    assert.equal(options.synchronize.configurationSection, 'grove');
    assert.deepEqual(options.initializationOptions(), { model: 'qwen', completion: { enabled: true } });
    assert.equal(statusItem.text, 'Grove: embedded SmolLM2');
    assert.equal(statusItem.severity, 0);
  });

  it("answers the server's workspace/configuration without client-only keys", async () => {
    const { middleware } = lastClient().clientOptions as {
      middleware: { workspace: { configuration: (p: unknown, t: unknown, n: unknown) => Promise<unknown> } };
    };
    const result = await middleware.workspace.configuration(
      { items: [{ section: 'grove' }, { section: 'editor' }] },
      undefined,
      () => [{ serverPath: '/x', trace: { server: 'off' }, model: 'm' }, { serverPath: 'kept' }],
    );
    assert.deepEqual(result, [{ model: 'm' }, { serverPath: 'kept' }]);
  });

  it('per-language completion.enabled: folded into what the server gets, checked before each request', async () => {
    type Next = (...args: unknown[]) => unknown;
    const { middleware, initializationOptions } = lastClient().clientOptions as {
      middleware: {
        workspace: { configuration: (p: unknown, t: unknown, n: Next) => Promise<unknown> };
        provideInlineCompletionItems: (d: unknown, p: unknown, c: unknown, t: unknown, n: Next) => unknown;
        provideCompletionItem: (d: unknown, p: unknown, c: unknown, t: unknown, n: Next) => unknown;
      };
      initializationOptions: () => unknown;
    };
    languageConfiguration.markdown = { 'grove.completion.enabled': false };
    try {
      assert.deepEqual(initializationOptions(), {
        model: 'qwen',
        completion: { enabled: true, disabledLanguages: ['markdown'] },
      });
      const [pulled] = (await middleware.workspace.configuration({ items: [{ section: 'grove' }] }, undefined, () => [
        { completion: { enabled: true, disabledLanguages: ['plaintext'] } },
      ])) as unknown[];
      assert.deepEqual(pulled, { completion: { enabled: true, disabledLanguages: ['plaintext', 'markdown'] } });

      const asked: string[] = [];
      const next: Next = (document) => {
        asked.push((document as { languageId: string }).languageId);
        return { items: ['suggestion'] };
      };
      const markdown = { languageId: 'markdown', uri: Uri.parse('file:///notes.md') };
      const kotlin = { languageId: 'kotlin', uri: Uri.parse('file:///Main.kt') };
      assert.equal(middleware.provideInlineCompletionItems(markdown, {}, {}, undefined, next), undefined);
      assert.equal(middleware.provideCompletionItem(markdown, {}, {}, undefined, next), undefined);
      assert.deepEqual(middleware.provideInlineCompletionItems(kotlin, {}, {}, undefined, next), { items: ['suggestion'] });
      assert.deepEqual(middleware.provideCompletionItem(kotlin, {}, {}, undefined, next), { items: ['suggestion'] });
      assert.deepEqual(asked, ['kotlin', 'kotlin'], 'nothing is asked for markdown');
    } finally {
      delete languageConfiguration.markdown;
    }
  });

  it('a command the server does not advertise: "not supported by this server yet"', async () => {
    await run('grove.review');
    const info = callsNamed('showInformationMessage').at(-1) as [string, string];
    assert.match(info[1], /"grove\.review" is not supported by this server yet \(grove 0\.1\.0\)/);
    assert.equal(lastClient().requests.filter((r) => (r[1] as { command: string }).command === 'grove.review').length, 0);
  });

  it('explain from the palette: arguments from the editor plus a stream token; the result in a virtual Markdown preview', async () => {
    (server.capabilities.executeCommandProvider as { commands: string[] }).commands.push(
      'grove.explain',
      'grove.explainDiagnostic',
      'grove.generateDocstring',
    );
    server.responses.set('grove.explain', markdown('It adds two numbers.'));
    state.activeTextEditor = {
      document: { uri: 'file:///x.py' },
      selection: { active: { line: 1, character: 2 }, isEmpty: true },
    };
    await run('grove.explain');
    const request = lastClient().requests.at(-2) as ExecuteCommand;
    const stream = request[1].arguments[0].stream;
    assert.match(String(stream), /^grove-explain-\d+$/);
    assert.deepEqual(request, [
      'workspace/executeCommand',
      {
        command: 'grove.explain',
        arguments: [{ textDocument: { uri: 'file:///x.py' }, position: { line: 1, character: 2 }, stream }],
      },
    ]);
    const document = previewed();
    assert.match(document.uri, /^grove-explanation:\/Explanation-\d+\.md$/);
    assert.equal(document.text(), '# Explanation\n\nIt adds two numbers.');
    assert.equal(callsNamed('openTextDocument').length, 0, 'no untitled document');
  });

  it('explain from the context menu (VS Code passes the Uri): arguments from the editor', async () => {
    await run('grove.explain', Uri.parse('file:///x.py'), { groupId: 0 });
    const [, params] = requestsFor('grove.explain').at(-1)!;
    assert.deepEqual(params.arguments[0].textDocument, { uri: 'file:///x.py' });
    assert.deepEqual(params.arguments[0].position, { line: 1, character: 2 });
    assert.equal(params.arguments.length, 1);
  });

  it('the preview opens at once, follows progress for its token only, then shows the result', async () => {
    const response = pending();
    server.responses.set('grove.explain', () => response.promise);
    const changed: string[] = [];
    contentProviders.get('grove-explanation')?.onDidChange?.((uri) => changed.push(uri.toString()));
    const running = run('grove.explain');
    await tick();
    const document = previewed();
    assert.equal(document.text(), `# Explanation\n\n${WAITING}`);
    const token = requestsFor('grove.explain').at(-1)![1].arguments[0].stream;
    lastClient().notify('grove/explanationProgress', { token, markdown: 'It adds' });
    assert.equal(document.text(), '# Explanation\n\nIt adds');
    assert.deepEqual(changed, [document.uri]);
    lastClient().notify('grove/explanationProgress', { token: 'grove-explain-999', markdown: 'someone else' });
    assert.equal(document.text(), '# Explanation\n\nIt adds');
    assert.equal(changed.length, 1);
    lastClient().notify('grove/explanationProgress', { token, markdown: 'It adds two numbers' });
    assert.equal(document.text(), '# Explanation\n\nIt adds two numbers');
    response.resolve(markdown('It adds two numbers and returns the sum.'));
    await running;
    assert.equal(document.text(), '# Explanation\n\nIt adds two numbers and returns the sum.');
    assert.equal(changed.length, 3);
    lastClient().notify('grove/explanationProgress', { token, markdown: 'late' });
    assert.equal(document.text(), '# Explanation\n\nIt adds two numbers and returns the sum.');
  });

  it('a failed explanation shows the error in the preview and a notification', async () => {
    server.responses.set('grove.explain', new Error('the endpoint timed out'));
    await run('grove.explain');
    assert.equal(previewed().text(), '# Explanation\n\n**Failed:** the endpoint timed out');
    const [, message] = callsNamed('showErrorMessage').at(-1) as [string, string];
    assert.equal(message, 'Grove: grove.explain failed: the endpoint timed out');
  });

  it("a code action's command: its arguments are forwarded as given, plus the stream token", async () => {
    server.responses.set('grove.explain', markdown('From the code action.'));
    state.activeTextEditor = undefined;
    const params = {
      textDocument: { uri: 'file:///y.py' },
      range: { start: { line: 4, character: 0 }, end: { line: 9, character: 0 } },
      via: 'codeAction',
    };
    await run('grove.explain', params);
    const [, request] = requestsFor('grove.explain').at(-1)!;
    assert.deepEqual(request.arguments, [{ ...params, stream: request.arguments[0].stream }]);
    assert.match(String(request.arguments[0].stream), /^grove-explain-\d+$/);
    assert.equal(previewed().text(), '# Explanation\n\nFrom the code action.');

    server.responses.set('grove.explainDiagnostic', markdown('Unused import.'));
    const diagnostic = { textDocument: { uri: 'file:///y.py' }, diagnostic: { message: 'unused', range: params.range }, via: 'codeAction' };
    await run('grove.explainDiagnostic', diagnostic);
    const [, diagnosticRequest] = requestsFor('grove.explainDiagnostic').at(-1)!;
    assert.deepEqual(diagnosticRequest.arguments, [{ ...diagnostic, stream: diagnosticRequest.arguments[0].stream }]);
    assert.match(previewed().uri, /^grove-explanation:\/Diagnostic-\d+\.md$/);
    assert.equal(previewed().text(), '# Diagnostic\n\nUnused import.');
  });

  it('docstring with a code action\'s arguments: forwarded as given, no stream token', async () => {
    const edit = { changes: { 'file:///y.py': [] } };
    server.responses.set('grove.generateDocstring', { kind: 'edit', edit, applied: true });
    const params = { textDocument: { uri: 'file:///y.py' }, position: { line: 3, character: 0 } };
    const applied = callsNamed('applyEdit').length;
    await run('grove.generateDocstring', params);
    assert.deepEqual(requestsFor('grove.generateDocstring').at(-1)![1].arguments, [params]);
    assert.equal(callsNamed('applyEdit').length, applied, 'the server applied it (workspace/applyEdit)');
    state.activeTextEditor = {
      document: { uri: 'file:///x.py' },
      selection: { active: { line: 1, character: 2 }, isEmpty: true },
    };
  });

  it('explain diagnostic sends the one under the cursor that pickDiagnostic chooses', async () => {
    const saved = state.activeTextEditor;
    const lines = ['x = 1', 'y = naem + 1', ''];
    state.activeTextEditor = {
      document: { uri: 'file:///x.py', lineCount: lines.length, lineAt: (line: number) => ({ text: lines[line] }) },
      selection: { active: { line: 1, character: 5 }, isEmpty: true },
    };
    const range = (l1: number, c1: number, l2: number, c2: number) => ({
      start: { line: l1, character: c1 },
      end: { line: l2, character: c2 },
    });
    // VS Code severities: 0 error .. 3 hint. Two sources at the cursor: the narrower one wins.
    const line = { source: 'grove', severity: 0, message: 'the line', range: range(1, 0, 1, 12) };
    const name = { source: 'pyright', severity: 1, message: '"naem" is not defined', range: range(1, 4, 1, 8) };
    const elsewhere = { source: 'ruff', severity: 0, message: 'x', range: range(0, 0, 0, 1) };
    state.diagnostics = [line, elsewhere, name];
    try {
      await run('grove.explainDiagnostic');
      const [, request] = requestsFor('grove.explainDiagnostic').at(-1)!;
      assert.deepEqual(request.arguments[0].diagnostic, { converted: name });
      assert.match(String(request.arguments[0].stream), /^grove-explain-\d+$/);
      state.diagnostics = [elsewhere];
      await run('grove.explainDiagnostic');
      assert.equal(requestsFor('grove.explainDiagnostic').at(-1)![1].arguments[0].diagnostic, null);
    } finally {
      state.diagnostics = [];
      state.activeTextEditor = saved;
    }
  });

  it('an edit result the editor has not applied (a client without workspace/applyEdit) is applied', async () => {
    const edit = { changes: { 'file:///x.py': [] } };
    server.responses.set('grove.generateDocstring', { kind: 'edit', edit, applied: false });
    await run('grove.generateDocstring');
    assert.deepEqual(callsNamed('applyEdit').at(-1), ['applyEdit', { code: edit }]);
    assert.deepEqual(requestsFor('grove.generateDocstring').at(-1)![1].arguments, [
      { textDocument: { uri: 'file:///x.py' }, position: { line: 1, character: 2 } },
    ]);
  });

  it('a message result is a notification, and opens nothing', async () => {
    (server.capabilities.executeCommandProvider as { commands: string[] }).commands.push('grove.review');
    server.responses.set('grove.review', { kind: 'message', message: '2 findings in x.py.', data: { findings: 2 } });
    const previews = callsNamed('executeCommand').length;
    await run('grove.review');
    assert.deepEqual(callsNamed('showInformationMessage').at(-1), ['showInformationMessage', 'Grove: 2 findings in x.py.']);
    assert.equal(callsNamed('executeCommand').length, previews, 'no preview');
    server.responses.set('grove.generateDocstring', { kind: 'message', message: 'No function, method or class at line 2.' });
    await run('grove.generateDocstring');
    assert.deepEqual(callsNamed('showInformationMessage').at(-1), [
      'showInformationMessage',
      'Grove: No function, method or class at line 2.',
    ]);
  });

  it('a streamed explanation that ends with a message shows it in the preview', async () => {
    server.responses.set('grove.explain', { kind: 'message', message: 'Nothing to explain here.' });
    await run('grove.explain');
    assert.equal(previewed().text(), '# Explanation\n\n_Nothing to explain here._');
  });

  it('a result of another shape is not guessed at: a warning, nothing applied or shown', async () => {
    server.responses.set('grove.review', '3 findings');
    const applied = callsNamed('applyEdit').length;
    const previews = callsNamed('executeCommand').length;
    await run('grove.review');
    assert.match(String(callsNamed('showWarningMessage').at(-1)?.[1]), /grove\.review returned a result this extension does not know/);
    server.responses.set('grove.generateDocstring', { changes: {} });
    await run('grove.generateDocstring');
    assert.equal(callsNamed('applyEdit').length, applied);
    assert.equal(callsNamed('executeCommand').length, previews);
  });

  it('the server advertises the extension\'s commands too: the client starts, and registers only the others', async () => {
    (server.capabilities.executeCommandProvider as { commands: string[] }).commands.push('grove.review', 'grove.accepted');
    const before = FakeLanguageClient.instances.length;
    await run('grove.restartServer');
    assert.equal(FakeLanguageClient.instances.length, before + 1);
    assert.equal(lastClient().state, 2, 'running');
    assert.equal(statusItem.text, 'Grove: embedded SmolLM2');
    assert.ok(registered.has('grove.accepted'), 'the client registered grove.accepted');
    // Running an accepted inline completion's command reaches the server through the client.
    await run('grove.accepted', { completionId: 'c1' });
    assert.deepEqual(requestsFor('grove.accepted').at(-1), [
      'workspace/executeCommand',
      { command: 'grove.accepted', arguments: [{ completionId: 'c1' }] },
    ]);
    // The extension's own handlers are still the ones registered (editor arguments, the preview).
    server.responses.set('grove.explain', markdown('Still ours.'));
    await run('grove.explain');
    assert.equal(previewed().text(), '# Explanation\n\nStill ours.');
  });

  it('without the filter the client would fail to start, as in VS Code', async () => {
    const raw = new FakeLanguageClient('grove', 'Grove', { command: 'grove', args: ['serve'] }, {});
    FakeLanguageClient.instances.pop();
    await assert.rejects(raw.start(), /command 'grove\.status' already exists/);
  });

  it('asks the server to push its status; a push updates the status item at once', () => {
    const client = lastClient();
    assert.deepEqual(client.sentCapabilities.experimental, { groveStatus: true });
    client.notify('grove/status', { target: 'scripted @ http://x/v1', lastError: 'Cannot reach the model endpoint', busy: false });
    assert.equal(statusItem.text, 'Grove: scripted @ http://x/v1');
    assert.equal(statusItem.severity, 2);
    assert.match(String(statusItem.detail), /last error: Cannot reach the model endpoint/);
    client.notify('grove/status', { target: 'scripted @ http://x/v1', lastError: null, busy: true });
    assert.equal(statusItem.severity, 0);
    assert.equal(statusItem.busy, true);
  });

  it('toggle inline completions flips grove.completion.enabled', async () => {
    await run('grove.toggleInlineCompletions');
    assert.deepEqual(callsNamed('configuration.update').at(-1), ['configuration.update', 'grove.completion.enabled', false, 1]);
    assert.equal(configuration['grove.completion.enabled'], false);
  });

  it('status shows the server status in a QuickPick', async () => {
    await run('grove.status');
    const [, items] = callsNamed('showQuickPick').at(-1) as [string, { label: string }[]];
    assert.ok(items.some((i) => i.label === 'target: embedded SmolLM2'));
  });

  it('a crash restarts a new client after a growing delay; the 5th in 3 minutes gives up', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const waits = [500, 1000, 2000, 4000];
    for (const wait of waits) {
      const crashed = lastClient();
      const { errorHandler } = crashed.clientOptions as {
        errorHandler: { closed: () => { action: number; handled?: boolean; message?: string } };
      };
      const answer = errorHandler.closed();
      assert.equal(answer.action, CloseAction.DoNotRestart, 'the backoff is the extension\'s, not an instant restart');
      assert.equal(answer.handled, true);
      const before = FakeLanguageClient.instances.length;
      t.mock.timers.tick(wait - 1);
      await flush();
      assert.equal(FakeLanguageClient.instances.length, before, `no restart before ${wait} ms`);
      t.mock.timers.tick(1);
      await flush();
      assert.equal(FakeLanguageClient.instances.length, before + 1, `restarted after ${wait} ms`);
      assert.notEqual(lastClient(), crashed);
    }
    const { errorHandler } = lastClient().clientOptions as { errorHandler: { closed: () => { action: number; message?: string } } };
    const count = FakeLanguageClient.instances.length;
    const last = errorHandler.closed();
    assert.equal(last.action, CloseAction.DoNotRestart);
    assert.match(last.message ?? '', /will not be restarted automatically/);
    t.mock.timers.tick(60_000);
    await flush();
    assert.equal(FakeLanguageClient.instances.length, count, 'no restart loop after giving up');
    await run('grove.restartServer');
    assert.equal(FakeLanguageClient.instances.length, count + 1, 'a manual restart still works');
  });

  it('changing grove.serverPath restarts the server with the new path', async () => {
    const custom = path.join(tmp, 'python3');
    fs.writeFileSync(custom, '#!/bin/sh\n');
    fs.chmodSync(custom, 0o755);
    configuration['grove.serverPath'] = custom;
    const before = FakeLanguageClient.instances.length;
    await changeConfiguration('grove.serverPath');
    assert.equal(FakeLanguageClient.instances.length, before + 1);
    assert.deepEqual(lastClient().serverOptions, { command: custom, args: ['-m', 'server'] });
  });
});
