#!/usr/bin/env node
// Generate package.json's contributes.configuration.properties from the server's settings schema
// (../../server/settings_schema.json, the single source), plus the client-only settings.
//
//   node scripts/sync-settings.mjs           write package.json
//   node scripts/sync-settings.mjs --check   exit 1 if package.json differs from the schema
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
export const SCHEMA_PATH = resolve(here, '../../../server/settings_schema.json');
export const PACKAGE_PATH = resolve(here, '../package.json');

/** JSON Schema keywords copied from the server's schema into VS Code's configuration. */
export const COPIED_KEYS = [
  'type',
  'default',
  'enum',
  'minimum',
  'maximum',
  'pattern',
  'format',
  'items',
  'scope',
  'description',
];

const UNTRUSTED_DESCRIPTION =
  "In an untrusted workspace Grove ignores the workspace's endpoint, key variable and server path: a cloned repository cannot choose where your code and key are sent, or what runs.";

/** Settings that only the VS Code client reads (stripped before settings reach the server). */
export const CLIENT_ONLY = {
  'grove.serverPath': {
    type: 'string',
    default: '',
    scope: 'machine-overridable',
    restricted: true,
    description:
      "Path to the Grove server: the `grove` executable (run as `grove serve`) or a Python interpreter with grove-ls installed (run as `python -m server`). Empty: the Python extension's interpreter if Grove is installed in it, else `grove` on PATH.",
  },
  'grove.trace.server': {
    type: 'string',
    default: 'off',
    enum: ['off', 'messages', 'verbose'],
    description: 'Trace the LSP messages between VS Code and the Grove server in the Grove output channel.',
  },
};

/** The contributes.configuration.properties object for a settings schema. */
export function buildProperties(schema) {
  const properties = {};
  let order = 0;
  for (const [name, spec] of Object.entries(schema.properties ?? {})) {
    const out = {};
    for (const key of COPIED_KEYS) {
      if (key in spec) {
        out[key] = structuredClone(spec[key]);
      }
    }
    out.order = order++;
    properties[name] = out;
  }
  for (const [name, spec] of Object.entries(CLIENT_ONLY)) {
    const { restricted: _restricted, ...copied } = structuredClone(spec);
    properties[name] = { ...copied, order: order++ };
  }
  return properties;
}

/** The capabilities.untrustedWorkspaces object: settings marked `restricted` are ignored there. */
export function buildUntrusted(schema) {
  const restricted = [
    ...Object.entries(schema.properties ?? {}),
    ...Object.entries(CLIENT_ONLY),
  ]
    .filter(([, spec]) => spec.restricted === true)
    .map(([name]) => name);
  return {
    supported: 'limited',
    description: UNTRUSTED_DESCRIPTION,
    restrictedConfigurations: restricted,
  };
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** [ok, message] for the check mode. */
export function check(schema, pkg) {
  const expected = buildProperties(schema);
  const actual = pkg.contributes?.configuration?.properties ?? {};
  if (!isDeepStrictEqual(buildUntrusted(schema), pkg.capabilities?.untrustedWorkspaces)) {
    return [
      false,
      'package.json capabilities.untrustedWorkspaces drifted from server/settings_schema.json\n' +
        'Run `npm run sync-settings` in editors/vscode.',
    ];
  }
  if (isDeepStrictEqual(expected, actual)) {
    return [true, 'package.json contributes.configuration matches server/settings_schema.json'];
  }
  const names = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  const drift = [...names].filter((n) => !isDeepStrictEqual(expected[n], actual[n]));
  return [
    false,
    `package.json contributes.configuration drifted from server/settings_schema.json: ${drift.join(', ')}\n` +
      'Run `npm run sync-settings` in editors/vscode.',
  ];
}

function main(argv) {
  const schema = readJson(SCHEMA_PATH);
  const pkg = readJson(PACKAGE_PATH);
  if (argv.includes('--check')) {
    const [ok, message] = check(schema, pkg);
    (ok ? console.log : console.error)(message);
    return ok ? 0 : 1;
  }
  pkg.capabilities = { ...(pkg.capabilities ?? {}), untrustedWorkspaces: buildUntrusted(schema) };
  pkg.contributes ??= {};
  pkg.contributes.configuration = {
    title: 'Grove',
    ...(pkg.contributes.configuration ?? {}),
    properties: buildProperties(schema),
  };
  writeFileSync(PACKAGE_PATH, JSON.stringify(pkg, null, 2) + '\n');
  console.log(`wrote ${Object.keys(pkg.contributes.configuration.properties).length} settings to package.json`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
