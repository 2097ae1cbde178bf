import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { CLIENT_ONLY_KEYS, serverSettings } from '../settings';

const root = path.resolve(__dirname, '../..');
const schemaPath = path.resolve(root, '../../server/settings_schema.json');

interface Spec {
  type: unknown;
  default: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  scope?: string;
  description?: string;
}
interface SyncModule {
  buildProperties(schema: unknown): Record<string, Spec>;
  check(schema: unknown, pkg: unknown): [boolean, string];
  CLIENT_ONLY: Record<string, Spec>;
}

async function sync(): Promise<SyncModule> {
  return (await import(pathToFileURL(path.join(root, 'scripts/sync-settings.mjs')).href)) as SyncModule;
}

const read = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

describe('settings sync', () => {
  const schema = read(schemaPath) as { properties: Record<string, Spec> };
  const pkg = read(path.join(root, 'package.json'));
  const contributed = pkg.contributes.configuration.properties as Record<string, Spec>;

  it('the generated configuration equals package.json', async () => {
    const { buildProperties, check } = await sync();
    assert.deepEqual(contributed, buildProperties(schema));
    assert.equal(check(schema, pkg)[0], true);
  });

  it('every schema key is contributed with the same type, default, enum and bounds', () => {
    for (const [name, spec] of Object.entries(schema.properties)) {
      const got = contributed[name];
      assert.ok(got, `${name} missing from package.json`);
      assert.deepEqual(got.type, spec.type, name);
      assert.deepEqual(got.default, spec.default, name);
      assert.deepEqual(got.enum, spec.enum, name);
      assert.equal(got.minimum, spec.minimum, name);
      assert.equal(got.maximum, spec.maximum, name);
      assert.equal(got.description, spec.description, name);
      assert.equal(got.scope, spec.scope, name);
    }
  });

  it('only the client-only settings are extra', async () => {
    const { CLIENT_ONLY } = await sync();
    const extra = Object.keys(contributed).filter((name) => !(name in schema.properties));
    assert.deepEqual(extra.sort(), Object.keys(CLIENT_ONLY).sort());
    assert.deepEqual(contributed['grove.trace.server'].enum, ['off', 'messages', 'verbose']);
    assert.equal(contributed['grove.serverPath'].type, 'string');
    // The settings the server must not see are exactly those.
    for (const name of extra) {
      assert.ok((CLIENT_ONLY_KEYS as readonly string[]).includes(name.split('.')[1]), name);
    }
  });

  it('the check fails on drift (changed default, missing and extra keys)', async () => {
    const { check } = await sync();
    const drifted = structuredClone(pkg);
    drifted.contributes.configuration.properties['grove.completion.maxTokens'].default = 65;
    const [ok, message] = check(schema, drifted);
    assert.equal(ok, false);
    assert.match(message, /grove\.completion\.maxTokens/);

    const missing = structuredClone(pkg);
    delete missing.contributes.configuration.properties['grove.logLevel'];
    assert.equal(check(schema, missing)[0], false);

    const newKey = structuredClone(schema) as { properties: Record<string, unknown> };
    newKey.properties['grove.new'] = { type: 'boolean', default: false, description: 'x' };
    assert.equal(check(newKey, pkg)[0], false);
  });
});

describe('serverSettings', () => {
  it('drops client-only keys and methods, keeps nested values', () => {
    const section = {
      serverPath: '/x/grove',
      trace: { server: 'verbose' },
      model: 'qwen',
      endpoint: { baseUrl: null, apiKeyEnv: 'KEY' },
      completion: { enabled: false },
      get: () => undefined,
      'trace.server': 'off',
    };
    assert.deepEqual(serverSettings(section), {
      model: 'qwen',
      endpoint: { baseUrl: null, apiKeyEnv: 'KEY' },
      completion: { enabled: false },
    });
  });

  it('non-objects become an empty section', () => {
    assert.deepEqual(serverSettings(null), {});
    assert.deepEqual(serverSettings('x'), {});
  });
});
