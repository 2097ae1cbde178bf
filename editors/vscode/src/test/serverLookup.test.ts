import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { INSTALL_COMMAND, findOnPath, isPythonInterpreter, lookupServer } from '../serverLookup';

function realIsExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grove-lookup-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function makeExecutable(...parts: string[]): string {
  const file = path.join(tmp, ...parts);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '#!/bin/sh\n');
  fs.chmodSync(file, 0o755);
  return file;
}

describe('lookupServer', () => {
  const binA = path.join(tmp, 'a');
  const binB = path.join(tmp, 'b');
  const groveB = makeExecutable('b', 'grove');
  fs.mkdirSync(binA, { recursive: true });
  const notExec = path.join(binA, 'grove');
  fs.writeFileSync(notExec, 'not executable');
  fs.chmodSync(notExec, 0o644);
  const venvPython = makeExecutable('venv', 'bin', 'python3');
  makeExecutable('venv', 'bin', 'grove');
  const bareVenvPython = makeExecutable('bare', 'bin', 'python');
  const customGrove = makeExecutable('custom', 'grove-server');
  const envPath = [binA, binB].join(':');

  it('the grove.serverPath setting wins', () => {
    const result = lookupServer({
      serverPath: customGrove,
      pythonCommand: [venvPython],
      envPath,
      platform: 'linux',
      isExecutable: realIsExecutable,
    });
    assert.equal(result.kind, 'found');
    assert.ok(result.kind === 'found');
    assert.equal(result.command, customGrove);
    assert.deepEqual(result.args, ['serve']);
    assert.equal(result.source, 'setting');
  });

  it('a Python interpreter in the setting runs -m server', () => {
    const result = lookupServer({ serverPath: bareVenvPython, platform: 'linux', isExecutable: realIsExecutable });
    assert.ok(result.kind === 'found');
    assert.deepEqual([result.command, ...result.args], [bareVenvPython, '-m', 'server']);
  });

  it('expands ~ in the setting', () => {
    const result = lookupServer({
      serverPath: '~/custom/grove-server',
      homeDir: tmp,
      platform: 'linux',
      isExecutable: realIsExecutable,
    });
    assert.ok(result.kind === 'found');
    assert.equal(result.command, customGrove);
  });

  it('a setting that is not executable is reported, not silently skipped', () => {
    const result = lookupServer({
      serverPath: path.join(tmp, 'missing'),
      envPath,
      platform: 'linux',
      isExecutable: realIsExecutable,
    });
    assert.equal(result.kind, 'notFound');
    assert.ok(result.kind === 'notFound');
    assert.match(result.message, /grove\.serverPath/);
    assert.ok(result.message.includes(INSTALL_COMMAND));
  });

  it("uses the Python extension's interpreter when grove-ls is installed in it", () => {
    const result = lookupServer({ pythonCommand: [venvPython], envPath, platform: 'linux', isExecutable: realIsExecutable });
    assert.ok(result.kind === 'found');
    assert.deepEqual([result.command, ...result.args], [venvPython, '-m', 'server']);
    assert.equal(result.source, 'pythonExtension');
  });

  it("skips the Python extension's interpreter without grove (falls back to PATH)", () => {
    const result = lookupServer({ pythonCommand: [bareVenvPython], envPath, platform: 'linux', isExecutable: realIsExecutable });
    assert.ok(result.kind === 'found');
    assert.equal(result.command, groveB);
    assert.equal(result.source, 'path');
  });

  it('searches PATH in order, skipping non-executable files', () => {
    const result = lookupServer({ envPath, platform: 'linux', isExecutable: realIsExecutable });
    assert.ok(result.kind === 'found');
    assert.equal(result.command, groveB);
    assert.deepEqual(result.args, ['serve']);
  });

  it('not found: a clear message with the install command', () => {
    const result = lookupServer({ envPath: binA, platform: 'linux', isExecutable: realIsExecutable });
    assert.ok(result.kind === 'notFound');
    assert.ok(result.message.includes("pip install -e '<clone>[local]'"));
    assert.ok(result.message.includes('from a clone of the Grove repository'));
    assert.ok(result.message.includes('README'));
    assert.ok(!result.message.includes('pip install grove-ls'));
    assert.match(result.message, /not found/);
  });

  it('not found with no PATH at all', () => {
    const result = lookupServer({ platform: 'linux', isExecutable: () => false });
    assert.equal(result.kind, 'notFound');
  });
});

describe('findOnPath on Windows', () => {
  it('tries PATHEXT extensions and ; separators', () => {
    const seen: string[] = [];
    const found = findOnPath(
      'grove',
      'C:\\nope;C:\\py\\Scripts',
      (file) => {
        seen.push(file);
        return file === 'C:\\py\\Scripts\\grove.EXE';
      },
      'win32',
      '.COM;.EXE',
    );
    assert.equal(found, 'C:\\py\\Scripts\\grove.EXE');
    assert.ok(seen.includes('C:\\nope\\grove.COM'));
  });
});

describe('isPythonInterpreter', () => {
  for (const name of ['python', 'python3', '/usr/bin/python3.12', 'C:\\Py\\python.exe']) {
    it(`${name} is python`, () => assert.ok(isPythonInterpreter(name)));
  }
  for (const name of ['grove', '/usr/bin/pythonista', 'ipython']) {
    it(`${name} is not python`, () => assert.ok(!isPythonInterpreter(name)));
  }
});
