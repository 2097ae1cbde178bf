// The extension's wiring, driven through stubbed `vscode` and `vscode-languageclient/node`.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  FakeLanguageClient,
  CloseAction,
  answers,
  calls,
  changeConfiguration,
  configuration,
  registered,
  server,
  state,
  statusItem,
} from '../testing/vscodeStub';
import { activate, deactivate } from '../extension';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grove-ext-'));
const savedPath = process.env.PATH;
after(async () => {
  await deactivate();
  process.env.PATH = savedPath;
  fs.rmSync(tmp, { recursive: true, force: true });
});

function run(command: string): Promise<unknown> {
  const handler = registered.get(command);
  assert.ok(handler, `${command} is registered`);
  return Promise.resolve(handler());
}

function lastClient(): FakeLanguageClient {
  const client = FakeLanguageClient.instances.at(-1);
  assert.ok(client);
  return client;
}

function callsNamed(name: string): unknown[][] {
  return calls.filter((c) => c[0] === name);
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
    assert.match(message, /pip install grove-ls/);
    assert.deepEqual(callsNamed('clipboard.writeText'), [['clipboard.writeText', 'pip install grove-ls']]);
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
      documentSelector: { language: string }[];
      synchronize: { configurationSection: string };
      initializationOptions: () => unknown;
    };
    assert.equal(new Set(options.documentSelector.map((s) => s.language)).size, 15);
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

  it('a command the server does not advertise: "not supported by this server yet"', async () => {
    await run('grove.review');
    const info = callsNamed('showInformationMessage').at(-1) as [string, string];
    assert.match(info[1], /"grove\.review" is not supported by this server yet \(grove 0\.1\.0\)/);
    assert.equal(lastClient().requests.filter((r) => (r[1] as { command: string }).command === 'grove.review').length, 0);
  });

  it('an advertised command is forwarded; a string result opens a Markdown preview', async () => {
    (server.capabilities.executeCommandProvider as { commands: string[] }).commands.push(
      'grove.explain',
      'grove.explainDiagnostic',
      'grove.generateDocstring',
    );
    server.responses.set('grove.explain', 'It adds two numbers.');
    state.activeTextEditor = {
      document: { uri: 'file:///x.py' },
      selection: { active: { line: 1, character: 2 }, isEmpty: true },
    };
    await run('grove.explain');
    const request = lastClient().requests.at(-2) as [string, { command: string; arguments: unknown[] }];
    assert.deepEqual(request, [
      'workspace/executeCommand',
      { command: 'grove.explain', arguments: [{ textDocument: { uri: 'file:///x.py' }, position: { line: 1, character: 2 } }] },
    ]);
    assert.deepEqual(callsNamed('openTextDocument').at(-1), [
      'openTextDocument',
      { content: '# Explanation\n\nIt adds two numbers.', language: 'markdown' },
    ]);
    assert.deepEqual(callsNamed('executeCommand').at(-1), ['executeCommand', 'markdown.showPreviewToSide', 'untitled:Untitled-1']);
  });

  it('explain diagnostic sends the diagnostic under the cursor', async () => {
    const diagnostic = { source: 'grove', message: 'unused', range: { contains: () => true } };
    state.diagnostics = [{ source: 'other', range: { contains: () => true } }, diagnostic];
    await run('grove.explainDiagnostic');
    const request = lastClient().requests.find((r) => (r[1] as { command: string }).command === 'grove.explainDiagnostic');
    const args = (request?.[1] as { arguments: { diagnostic: unknown }[] }).arguments;
    assert.deepEqual(args[0].diagnostic, { converted: diagnostic });
  });

  it('a WorkspaceEdit result is applied', async () => {
    const edit = { changes: { 'file:///x.py': [] } };
    server.responses.set('grove.generateDocstring', edit);
    await run('grove.generateDocstring');
    assert.deepEqual(callsNamed('applyEdit').at(-1), ['applyEdit', { code: edit }]);
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

  it('crashes restart at most 4 times in 3 minutes, then a clear message', () => {
    const { errorHandler } = lastClient().clientOptions as { errorHandler: { closed: () => { action: number; message?: string } } };
    for (let i = 0; i < 4; i++) {
      assert.equal(errorHandler.closed().action, CloseAction.Restart);
    }
    const last = errorHandler.closed();
    assert.equal(last.action, CloseAction.DoNotRestart);
    assert.match(last.message ?? '', /will not be restarted automatically/);
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
