// The client's workspace/executeCommand feature (vscode-languageclient's own class, against the
// stubbed `vscode`) skips the command IDs the extension registers.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { FakeLanguageClient, registered } from '../testing/vscodeStub';
import { GroveLanguageClient, withoutExtensionCommands } from '../groveClient';

interface Feature {
  registrationType: { method: string };
  initialize(capabilities: unknown): void;
  register(data: { id: string; registerOptions: { commands?: string[] } }): void;
  unregister(id: string): void;
  clear(): void;
}

function executeCommandFeature(): { feature: Feature; requests: unknown[] } {
  const client = new FakeLanguageClient('t', 't', { command: 'x', args: [] }, {});
  const feature = client.features[0] as unknown as Feature;
  assert.equal(feature.registrationType.method, 'workspace/executeCommand');
  return { feature, requests: client.requests };
}

describe('language client commands', () => {
  beforeEach(() => registered.clear());

  it('the stub, like VS Code, refuses to register a command twice', () => {
    const { feature } = executeCommandFeature();
    feature.initialize({ executeCommandProvider: { commands: ['grove.explain'] } });
    assert.throws(
      () => feature.initialize({ executeCommandProvider: { commands: ['grove.explain'] } }),
      /command 'grove\.explain' already exists/,
    );
  });

  it('the initialize result: advertised commands but the extension\'s own', async () => {
    const { feature, requests } = executeCommandFeature();
    withoutExtensionCommands(feature as never);
    feature.initialize({
      executeCommandProvider: { commands: ['grove.status', 'grove.explain', 'grove.review', 'grove.accepted'] },
    });
    assert.deepEqual([...registered.keys()], ['grove.accepted']);
    await registered.get('grove.accepted')!({ id: 'c1' });
    assert.deepEqual(requests, [['workspace/executeCommand', { command: 'grove.accepted', arguments: [{ id: 'c1' }] }]]);
  });

  it('dynamic registrations are filtered too; unregister and clear dispose what was registered', () => {
    const { feature } = executeCommandFeature();
    withoutExtensionCommands(feature as never);
    feature.register({ id: 'r1', registerOptions: { commands: ['grove.generateDocstring', 'grove.other'] } });
    assert.deepEqual([...registered.keys()], ['grove.other']);
    feature.unregister('r1');
    assert.equal(registered.size, 0);
    feature.register({ id: 'r2', registerOptions: {} });
    assert.equal(registered.size, 0);
  });

  it('other features are left alone', () => {
    const other = { fillClientCapabilities() {}, initialize() {}, clear() {} };
    const same = withoutExtensionCommands(other as never);
    assert.equal(same, other);
    assert.deepEqual(Object.keys(other), ['fillClientCapabilities', 'initialize', 'clear']);
  });

  it('GroveLanguageClient filters the feature the client registers in its constructor', () => {
    const client = new GroveLanguageClient('grove', 'Grove', { command: 'grove', args: ['serve'] }, {}) as unknown as FakeLanguageClient;
    const feature = client.features[0] as unknown as Feature;
    feature.initialize({ executeCommandProvider: { commands: ['grove.explainDiagnostic', 'grove.accepted'] } });
    assert.deepEqual([...registered.keys()], ['grove.accepted']);
  });
});
