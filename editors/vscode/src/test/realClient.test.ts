// The REAL vscode-languageclient against the real Grove server (skipped when it is not
// installed), with a permissive `vscode` module: the extension's command IDs do not stop the
// client from starting, and the server pushes its status to it.
import '../testing/vscodePermissive';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { LanguageClient, type LanguageClientOptions, State } from 'vscode-languageclient/node';
import { EXTENSION_COMMANDS, STATUS_NOTIFICATION } from '../commands';
import { GroveLanguageClient } from '../groveClient';
import { lookupServer } from '../serverLookup';
import { registeredCommands } from '../testing/vscodePermissive';

const venvBin = path.resolve(__dirname, '../../../../.venv/bin');
const found = lookupServer({
  serverPath: process.env.GROVE_SERVER,
  envPath: [venvBin, process.env.PATH ?? ''].join(path.delimiter),
  isExecutable: (file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  },
});
if (process.env.GROVE_REQUIRE_SERVER === '1' && found.kind === 'notFound') {
  throw new Error('GROVE_REQUIRE_SERVER=1 but no grove executable was found');
}

const clientOptions: LanguageClientOptions = {
  documentSelector: [{ language: 'python' }],
  // No model is started: completions off, an endpoint nobody listens on.
  initializationOptions: { completion: { enabled: false }, endpoint: { baseUrl: 'http://127.0.0.1:9/v1' }, model: 'm' },
};

/** The extension has registered its own commands, as activate() does before the client starts. */
function registerExtensionCommands(): void {
  registeredCommands.clear();
  for (const command of EXTENSION_COMMANDS) {
    registeredCommands.set(command, () => undefined);
  }
}

describe('real vscode-languageclient and Grove server', { skip: found.kind === 'notFound' ? 'grove is not installed' : false }, () => {
  assert.ok(found.kind === 'found');
  const serverOptions = { command: found.command, args: found.args };

  it('the plain LanguageClient cannot start beside the extension (the bug GroveLanguageClient fixes)', { timeout: 60_000 }, async () => {
    registerExtensionCommands();
    const client = new LanguageClient('grove', 'Grove', serverOptions, clientOptions);
    await assert.rejects(client.start(), /command 'grove\.\w+' already exists/);
    await client.dispose(2000).catch(() => undefined);
  });

  it('GroveLanguageClient starts, leaves the extension its commands, and gets status pushes', { timeout: 60_000 }, async () => {
    registerExtensionCommands();
    const client = new GroveLanguageClient('grove', 'Grove', serverOptions, clientOptions);
    const pushed = new Promise<unknown>((resolve) => client.onNotification(STATUS_NOTIFICATION, resolve));
    try {
      await client.start();
      assert.equal(client.state, State.Running);
      const advertised = client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
      assert.ok(advertised.includes('grove.accepted') && advertised.includes('grove.explain'));
      const byClient = [...registeredCommands.keys()].filter((c) => !EXTENSION_COMMANDS.has(c));
      assert.deepEqual(byClient, ['grove.accepted']);
      const status = (await pushed) as { completionEnabled: boolean; target: string };
      assert.equal(status.completionEnabled, false);
      assert.match(status.target, /^m @ http:\/\/127\.0\.0\.1:9\/v1/);
    } finally {
      await client.stop(2000).catch(() => undefined);
    }
  });
});
