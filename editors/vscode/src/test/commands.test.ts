import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  CLIENT_COMMANDS,
  EXTENSION_COMMANDS,
  SERVER_COMMANDS,
  STREAMED_COMMANDS,
  type DiagnosticLike,
  advertisedCommands,
  codePointColumn,
  commandArguments,
  isAdvertised,
  isServerArguments,
  notSupportedMessage,
  pickDiagnostic,
  readResult,
  serverRegisteredCommands,
  setupOutcome,
  withStreamToken,
} from '../commands';

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
  it('grove.doctor stays with the extension, which runs it as "Grove: Check setup"', () => {
    assert.deepEqual(serverRegisteredCommands(['grove.doctor', 'grove.accepted']), ['grove.accepted']);
    assert.ok(CLIENT_COMMANDS.includes('grove.checkSetup'));
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

describe('command results (the one shape, server/lsp/command_results.py)', () => {
  it('an edit: applied by the editor already, or to apply', () => {
    const edit = { documentChanges: [] };
    assert.deepEqual(readResult({ kind: 'edit', edit, applied: true }), { kind: 'edit', edit, applied: true });
    assert.deepEqual(readResult({ kind: 'edit', edit, applied: false, data: { n: 1 } }), { kind: 'edit', edit, applied: false });
  });
  it('markdown and message; data is ignored', () => {
    assert.deepEqual(readResult({ kind: 'markdown', markdown: '**hi**' }), { kind: 'markdown', markdown: '**hi**' });
    assert.deepEqual(readResult({ kind: 'message', message: '3 findings', data: { findings: 3 } }), {
      kind: 'message',
      message: '3 findings',
    });
  });
  it('null: nothing to do', () => {
    assert.deepEqual(readResult(null), { kind: 'none' });
    assert.deepEqual(readResult(undefined), { kind: 'none' });
  });
  it('other shapes are not guessed at: a bare string, a bare WorkspaceEdit, a wrong field type', () => {
    for (const result of ['**hi**', '', { changes: {} }, { markdown: 'x' }, { kind: 'markdown', markdown: 3 }, { kind: 'edit', edit: {} }, [1]]) {
      const read = readResult(result);
      assert.equal(read.kind, 'unexpected', JSON.stringify(result));
      assert.ok(read.kind === 'unexpected' && read.json === JSON.stringify(result, null, 2));
    }
  });
});

interface ChoiceCase {
  name: string;
  cursor: [number, number];
  diagnostics: { source: string; severity: number; message: string; range: [number, number, number, number] }[];
  expected: string | null;
}

describe('the diagnostic to explain (the same cases as the Neovim plugin)', () => {
  const file = path.resolve(__dirname, '../../../../tests/editors/diagnostic_choice.json');
  const { lines, cases } = JSON.parse(fs.readFileSync(file, 'utf8')) as { lines: string[]; cases: ChoiceCase[] };
  // The cases count characters (code points); VS Code's columns are UTF-16 units.
  const utf16 = (line: number, character: number) => [...lines[line]].slice(0, character).join('').length;
  const column = (line: number, character: number) => codePointColumn(lines[line], character);
  const position = (line: number, character: number) => ({ line, character: utf16(line, character) });

  for (const choice of cases) {
    it(choice.name, () => {
      const diagnostics: DiagnosticLike[] = choice.diagnostics.map(({ range: [l1, c1, l2, c2], ...rest }) => ({
        ...rest,
        range: { start: position(l1, c1), end: position(l2, c2) },
      }));
      for (const listed of [diagnostics, [...diagnostics].reverse()]) {
        const picked = pickDiagnostic(listed, position(...choice.cursor), column);
        assert.equal(picked?.message ?? null, choice.expected);
      }
    });
  }

  it('code point columns: an emoji is one character, two UTF-16 units', () => {
    assert.equal(codePointColumn('a😀b', 3), 2);
    assert.equal(codePointColumn('abc', 2), 2);
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

  it('engine, entry point and client version', () => {
    assert.equal(pkg.engines.vscode, '^1.91.0');
    assert.equal(pkg.main, './out/extension.js');
    assert.match(pkg.dependencies['vscode-languageclient'], /^[~^]10\.1\./);
  });
});

describe('setup check (grove.doctor) outcome', () => {
  const check = (state: string) => ({ name: state, state, detail: 'd' });

  it('ready: ok and the summary the server wrote', () => {
    const result = {
      kind: 'markdown',
      markdown: '**Ready: completions go to m**',
      data: { ok: true, summary: 'Ready: completions go to m', checks: [check('ok'), check('warn')] },
    };
    assert.deepEqual(setupOutcome(result), { ok: true, summary: 'Ready: completions go to m' });
    assert.equal(readResult(result).kind, 'markdown');
  });
  it('blocked: the failed checks counted when the summary is missing', () => {
    const data = { ok: false, checks: [check('fail'), check('ok'), check('fail'), 'junk'] };
    assert.deepEqual(setupOutcome({ kind: 'markdown', markdown: '', data }), {
      ok: false,
      summary: 'Completions are blocked: 2 problem(s)',
    });
  });
  it('anything else: no outcome', () => {
    for (const result of [null, undefined, 'x', {}, { data: null }, { data: { ok: 'yes' } }, { kind: 'message', message: 'm' }]) {
      assert.equal(setupOutcome(result), undefined, JSON.stringify(result));
    }
  });
});
