import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  CLIENT_COMMANDS,
  EXTENSION_COMMANDS,
  SERVER_COMMANDS,
  STREAMED_COMMANDS,
  advertisedCommands,
  classifyResult,
  commandArguments,
  isAdvertised,
  isServerArguments,
  notSupportedMessage,
  serverRegisteredCommands,
  withStreamToken,
} from '../commands';
import { LANGUAGES } from '../languages';

describe('command gating', () => {
  const today = { executeCommandProvider: { commands: ['grove.status'] } };
  const later = { executeCommandProvider: { commands: ['grove.status', ...SERVER_COMMANDS] } };

  it('forwards only what the server advertises', () => {
    for (const command of SERVER_COMMANDS) {
      assert.equal(isAdvertised(today, command), false, command);
      assert.equal(isAdvertised(later, command), true, command);
    }
    assert.equal(isAdvertised(today, 'grove.status'), true);
  });

  it('no provider, null provider or no capabilities: nothing is advertised', () => {
    assert.equal(advertisedCommands(undefined).size, 0);
    assert.equal(advertisedCommands({}).size, 0);
    assert.equal(advertisedCommands({ executeCommandProvider: null }).size, 0);
    assert.equal(advertisedCommands({ executeCommandProvider: {} }).size, 0);
  });

  it('the not-supported message names the command', () => {
    assert.equal(
      notSupportedMessage('grove.review', '0.1.0'),
      'Grove: "grove.review" is not supported by this server yet (grove 0.1.0).',
    );
    assert.match(notSupportedMessage('grove.explain'), /not supported by this server yet\.$/);
  });
});

describe('command arguments (same shapes as the Neovim plugin)', () => {
  const position = { line: 3, character: 4 };
  const selection = { start: { line: 1, character: 0 }, end: { line: 2, character: 5 } };
  const uri = 'file:///x.py';

  it('docstring: position params', () => {
    assert.deepEqual(commandArguments('grove.generateDocstring', { uri, position, selection }), [
      { textDocument: { uri }, position },
    ]);
  });
  it('explain: the selection when there is one, else the position', () => {
    assert.deepEqual(commandArguments('grove.explain', { uri, position, selection }), [
      { textDocument: { uri }, range: selection },
    ]);
    assert.deepEqual(commandArguments('grove.explain', { uri, position }), [{ textDocument: { uri }, position }]);
  });
  it('explainDiagnostic: position and the diagnostic (or null)', () => {
    const diagnostic = { message: 'm', range: selection };
    assert.deepEqual(commandArguments('grove.explainDiagnostic', { uri, position, diagnostic }), [
      { textDocument: { uri }, position, diagnostic },
    ]);
    assert.equal((commandArguments('grove.explainDiagnostic', { uri, position })[0] as { diagnostic: unknown }).diagnostic, null);
  });
  it('review: the document', () => {
    assert.deepEqual(commandArguments('grove.review', { uri, position }), [{ textDocument: { uri } }]);
  });
});

describe('commands the language client registers', () => {
  it('all advertised commands but the extension\'s own (grove.accepted stays with the client)', () => {
    const advertised = ['grove.status', ...SERVER_COMMANDS, 'grove.accepted', 'grove.somethingNew'];
    assert.deepEqual(serverRegisteredCommands(advertised), ['grove.accepted', 'grove.somethingNew']);
  });
  it('nothing advertised: nothing registered; order kept', () => {
    assert.deepEqual(serverRegisteredCommands([]), []);
    assert.deepEqual(serverRegisteredCommands(['b', 'grove.explain', 'a']), ['b', 'a']);
  });
  it('the extension owns exactly the commands it registers', () => {
    assert.deepEqual([...EXTENSION_COMMANDS].sort(), [...new Set([...SERVER_COMMANDS, ...CLIENT_COMMANDS])].sort());
  });
});

describe('invocation arguments', () => {
  const params = { textDocument: { uri: 'file:///x.py' }, range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, via: 'codeAction' };

  it("a code action's params object is the server's arguments", () => {
    assert.equal(isServerArguments([params]), true);
    assert.equal(isServerArguments([{ uri: 'file:///x.py', diagnostic: {} }]), true);
  });
  it('none (palette), a Uri (context menu) or other values are not', () => {
    assert.equal(isServerArguments([]), false);
    const uri = { scheme: 'file', authority: '', path: '/x.py', query: '', fragment: '', fsPath: '/x.py' };
    assert.equal(isServerArguments([uri, { groupId: 0 }]), false);
    assert.equal(isServerArguments(['file:///x.py']), false);
    assert.equal(isServerArguments([null]), false);
    assert.equal(isServerArguments([{ textDocument: {} }]), false);
  });
  it('the stream token goes into the first params object, the arguments are otherwise unchanged', () => {
    const args = [params, 'extra'];
    assert.deepEqual(withStreamToken(args, 'grove-explain-7'), [{ ...params, stream: 'grove-explain-7' }, 'extra']);
    assert.deepEqual(args, [params, 'extra']);
    assert.equal('stream' in params, false);
    assert.deepEqual(withStreamToken([], 't'), []);
    assert.deepEqual(withStreamToken(['x'], 't'), ['x']);
  });
  it('explain and explain diagnostic stream; docstring and review do not', () => {
    assert.deepEqual([...STREAMED_COMMANDS].sort(), ['grove.explain', 'grove.explainDiagnostic']);
  });
});

describe('command results', () => {
  it('a string opens as Markdown with a title', () => {
    assert.deepEqual(classifyResult('**hi**', 'Explanation'), { kind: 'markdown', markdown: '# Explanation\n\n**hi**' });
  });
  it('{markdown|value|text} opens as Markdown', () => {
    for (const key of ['markdown', 'value', 'text']) {
      assert.deepEqual(classifyResult({ [key]: 'x' }, 'Review'), { kind: 'markdown', markdown: '# Review\n\nx' });
    }
  });
  it('a WorkspaceEdit is applied', () => {
    const edit = { changes: { 'file:///x.py': [] } };
    assert.deepEqual(classifyResult(edit, 'Docstring'), { kind: 'edit', edit });
    assert.equal(classifyResult({ documentChanges: [] }, 'Docstring').kind, 'edit');
  });
  it('null / empty: nothing', () => {
    assert.equal(classifyResult(null, 'x').kind, 'none');
    assert.equal(classifyResult(undefined, 'x').kind, 'none');
    assert.equal(classifyResult('', 'x').kind, 'none');
  });
  it('anything else is shown as JSON', () => {
    const shown = classifyResult({ a: 1 }, 'T');
    assert.ok(shown.kind === 'markdown' && shown.markdown.includes('"a": 1'));
  });
});

describe('package.json manifest', () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));

  it('contributes every command, server and client', () => {
    const contributed = (pkg.contributes.commands as { command: string }[]).map((c) => c.command).sort();
    assert.deepEqual(contributed, [...new Set([...SERVER_COMMANDS, ...CLIENT_COMMANDS])].sort());
  });

  it('puts the server commands (docstring, explain, explain diagnostic, review) in the editor context menu', () => {
    const menu = (pkg.contributes.menus['editor/context'] as { command: string }[]).map((m) => m.command);
    assert.deepEqual(menu, [...SERVER_COMMANDS]);
  });

  it('activates on every served language', () => {
    assert.deepEqual(pkg.activationEvents, LANGUAGES.map((l) => `onLanguage:${l}`));
    assert.equal(LANGUAGES.length, 15);
  });

  it('engine, entry point and client version', () => {
    assert.equal(pkg.engines.vscode, '^1.91.0');
    assert.equal(pkg.main, './out/extension.js');
    assert.match(pkg.dependencies['vscode-languageclient'], /^[~^]10\.1\./);
  });
});
