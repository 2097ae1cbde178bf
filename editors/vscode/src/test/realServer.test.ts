// Against the real Grove server (skipped when it is not installed): the settings this extension
// sends are all accepted, and command gating sees what the server really advertises.
// Server: $GROVE_SERVER, else ../../.venv/bin/grove, else `grove` on PATH.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { SERVER_COMMANDS, STATUS_CAPABILITY, STATUS_COMMAND, STATUS_NOTIFICATION, isAdvertised, readResult } from '../commands';
import { lookupServer } from '../serverLookup';
import { serverSettings } from '../settings';
import { statusView } from '../status';

const root = path.resolve(__dirname, '../..');
const venvBin = path.resolve(root, '../../.venv/bin');
const isExecutable = (file: string) => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};
const found = lookupServer({
  serverPath: process.env.GROVE_SERVER,
  envPath: [venvBin, process.env.PATH ?? ''].join(path.delimiter),
  isExecutable,
});

/** The `grove` section as VS Code hands it over: nested, with every contributed default. */
function vscodeSection(overrides: Record<string, unknown>): Record<string, unknown> {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const section: Record<string, unknown> = {};
  const props = pkg.contributes.configuration.properties as Record<string, { default: unknown }>;
  for (const [name, spec] of Object.entries(props)) {
    const value = name in overrides ? overrides[name] : spec.default;
    const parts = name.split('.').slice(1);
    let node = section;
    for (const part of parts.slice(0, -1)) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return section;
}

// CI sets GROVE_REQUIRE_SERVER=1: there a missing server is a failure, not a skip.
if (process.env.GROVE_REQUIRE_SERVER === '1' && found.kind === 'notFound') {
  throw new Error('GROVE_REQUIRE_SERVER=1 but no grove executable was found');
}

describe('real Grove server', { skip: found.kind === 'notFound' ? 'grove is not installed' : false }, () => {
  let child: ChildProcess | undefined;
  let connection: MessageConnection | undefined;
  const messages: string[] = [];
  after(() => {
    connection?.dispose();
    child?.kill();
  });

  it('accepts every setting the extension sends and advertises grove.status', { timeout: 60_000 }, async () => {
    assert.ok(found.kind === 'found');
    const settings = serverSettings(
      vscodeSection({
        // No model is started: completions off, an endpoint nobody listens on.
        'grove.completion.enabled': false,
        'grove.endpoint.baseUrl': 'http://127.0.0.1:9/v1',
        'grove.serverPath': '/ignored/by/the/server',
        'grove.trace.server': 'verbose',
      }),
    );
    child = spawn(found.command, found.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr?.on('data', (data: Buffer) => messages.push(data.toString()));
    const conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection = conn;
    conn.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
      params.items.map((item) => (item.section === 'grove' ? settings : null)),
    );
    conn.onRequest(() => null);
    conn.onNotification('window/showMessage', (params: { message: string }) => {
      messages.push(`showMessage: ${params.message}`);
    });
    conn.onNotification('window/logMessage', (params: { message: string }) => {
      messages.push(params.message);
    });
    const pushed = new Promise<unknown>((resolve) => conn.onNotification(STATUS_NOTIFICATION, resolve));
    conn.listen();
    const init = (await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        experimental: { [STATUS_CAPABILITY]: true },
      },
      initializationOptions: settings,
    })) as { capabilities: { executeCommandProvider?: { commands?: string[] } } };
    await conn.sendNotification('initialized', {});
    assert.equal(isAdvertised(init.capabilities, STATUS_COMMAND), true);
    for (const command of SERVER_COMMANDS) {
      // Gating follows whatever this server version offers.
      assert.equal(isAdvertised(init.capabilities, command), (init.capabilities.executeCommandProvider?.commands ?? []).includes(command));
    }
    const status = await conn.sendRequest('workspace/executeCommand', { command: STATUS_COMMAND, arguments: [] });
    const view = statusView(status);
    assert.match(view.text, /^Grove: /);
    assert.equal((status as { completionEnabled: boolean }).completionEnabled, false);
    // The experimental capability the client declares makes the server push its status.
    const first = (await pushed) as { target: string; completionEnabled: boolean; busy: boolean };
    assert.equal(first.completionEnabled, false);
    assert.equal(first.target, (status as { target: string }).target);
    // Command results come in the one shape readResult reads (no model call needed here).
    const uri = 'file:///grove-vscode-test/blank.py';
    await conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version: 1, text: 'x = 1\n\n\ny = 2\n' },
    });
    const where = { textDocument: { uri }, position: { line: 1, character: 0 } };
    const explained = readResult(await conn.sendRequest('workspace/executeCommand', { command: 'grove.explain', arguments: [where] }));
    assert.equal(explained.kind, 'message');
    assert.match(explained.kind === 'message' ? explained.message : '', /^Nothing to explain here/);
    const documented = readResult(
      await conn.sendRequest('workspace/executeCommand', { command: 'grove.generateDocstring', arguments: [where] }),
    );
    assert.equal(documented.kind, 'message');
    const diagnosed = readResult(
      await conn.sendRequest('workspace/executeCommand', {
        command: 'grove.explainDiagnostic',
        arguments: [{ ...where, diagnostic: null }],
      }),
    );
    assert.deepEqual(diagnosed, { kind: 'message', message: 'No diagnostic to explain: put the cursor on a diagnostic.' });
    await conn.sendRequest('shutdown');
    await conn.sendNotification('exit');
    const problems = messages.filter((m) => /unknown setting|using the default/.test(m));
    assert.deepEqual(problems, [], messages.join('\n'));
  });
});
