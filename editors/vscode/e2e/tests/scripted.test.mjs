// Grove in a real VS Code against the scripted endpoint: one code-server for every scenario here,
// each scenario played through the UI (keys, Quick Fix menu, palette) and checked by what a user
// sees (ghost text, the saved file, the status, notifications, the preview, Problems).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ARTIFACTS, Endpoint, VSCode, baseSettings, sleep, tempDir, waitFor } from '../harness.mjs';

const dir = tempDir('grove-vscode-e2e-');
const endpoint = new Endpoint(dir);
const vscode = new VSCode(dir);
let settings;

const RULES = [
  { when: ['def add(a, b):', '    return'], reply: ' a + b' },
  { when: ['def mul(a, b):', '    return'], reply: ' a * b' },
  { when: ['def sub(a, b):', '    return'], sampled: true, reply: ' b - a' },
  { when: ['def sub(a, b):', '    return'], reply: ' a - b' },
  { when: ['def scale(x, factor):', '    return'], reply: ' x * factor' },
  { when: ['def neg(x):', '    return'], reply: ' -x' },
  { when: ['def twice(x):', '    return'], reply: ' x * 2' },
  { when: ['def half(x):', '    return'], reply: ' x / 2' },
  { when: ['fun greet(name: String): String {', '    return'], reply: ' "Hello, $name!"' },
  { when: ['# Notes', 'Grove completes'], reply: ' every file type.' },
  { when: ['function sum(xs: number[]): number {', '  return'], reply: ' xs.reduce((a, b) => a + b, 0);' },
  {
    when: ['Document this', 'def area(w, h):'],
    reply: 'Return the area of a rectangle.\n\nArgs:\n    w: The width.\n    h: The height.\n\nReturns:\n    The area, w times h.',
  },
  {
    when: ['Explain this diagnostic', 'Type'],
    reply: 'The **string** "one" is assigned to a variable declared as a number. Use `1` instead.',
  },
  {
    when: ['Explain this', 'def area(w, h):'],
    reply: 'This function **multiplies** the width by the height and returns the area of the rectangle they describe.',
    chunkDelay: 0.15,
    chunkSize: 4,
  },
  {
    when: ['Review this', 'def ratio(a, b):'],
    reply: JSON.stringify({
      findings: [
        {
          line: 'return a / b',
          category: 'bug',
          message: 'Division by zero when b is 0.',
          suggestion: 'Check b before dividing.',
        },
      ],
    }),
  },
];

/** One scenario: on failure keep a screenshot and the logs, and name them in the error. */
function scenario(name, body) {
  test(name, async () => {
    try {
      await body();
    } catch (error) {
      const where = await vscode.keepArtifacts(name);
      error.message = `${error.message}\n    screenshot and extension log kept in ${where}`;
      throw error;
    } finally {
      await vscode.press('Escape');
      await vscode.closeAllEditors();
    }
  });
}

before(async () => {
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  endpoint.setRules(RULES);
  await endpoint.start();
  settings = { ...baseSettings(endpoint), '[markdown]': { 'grove.completion.enabled': false } };
  vscode.writeSettings(settings);
  vscode.file('calc.py', 'def add(a, b):\n    \n');
  vscode.file('cycle.py', 'def sub(a, b):\n    \n');
  vscode.file('esc.py', 'def mul(a, b):\n    \n');
  vscode.file('word.py', 'def scale(x, factor):\n    \n');
  vscode.file('sum.ts', 'function sum(xs: number[]): number {\n  \n}\n');
  vscode.file('Greeter.kt', 'fun greet(name: String): String {\n    \n}\n');
  vscode.file('notes.md', '# Notes\n\n');
  vscode.file('down.py', 'def neg(x):\n    \n');
  vscode.file('killed.py', 'def twice(x):\n    \n');
  vscode.file('toggle.py', 'def half(x):\n    \n');
  vscode.file('doc.py', 'def area(w, h):\n    return w * h\n');
  vscode.file('bad.ts', 'export const count: number = "one";\n');
  vscode.file('review.py', '"""Ratios."""\n\n\ndef ratio(a, b):\n    return a / b\n');
  try {
    await vscode.launch();
    await vscode.open('calc.py', 2);
    await vscode.waitForStatus('Grove: scripted-model');
  } catch (error) {
    error.message = `${error.message}\n    screenshot and extension log kept in ${await vscode.keepArtifacts('start')}`;
    throw error;
  }
});

after(async () => {
  await vscode.close();
  await endpoint.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('inline completion', () => {
  scenario('Python: ghost text while typing, Tab accepts and the saved file holds the line', async () => {
    await vscode.open('calc.py', 2);
    assert.equal(await vscode.typeUntilGhost('return', ' a + b'), ' a + b');
    await vscode.picture('vscode-ghost-text');
    await vscode.press('Tab');
    await vscode.save();
    assert.equal(vscode.read('calc.py'), 'def add(a, b):\n    return a + b\n');
  });

  scenario('Escape dismisses the ghost text and leaves the file alone', async () => {
    await vscode.open('esc.py', 2);
    await vscode.typeUntilGhost('return', ' a * b');
    await vscode.press('Escape');
    await waitFor('the ghost text to go', async () => (await vscode.ghostText()) === '');
    await vscode.save();
    assert.equal(vscode.read('esc.py'), 'def mul(a, b):\n    return\n');
  });

  scenario("accepting one word with VS Code's own command", async () => {
    await vscode.open('word.py', 2);
    await vscode.typeUntilGhost('return', ' x * factor');
    // The first word VS Code accepts is the leading space, the second "x".
    await vscode.press('Control+ArrowRight', 'Control+ArrowRight');
    assert.equal(await vscode.waitForGhost(' * factor'), ' * factor');
    await vscode.save();
    assert.equal(vscode.read('word.py'), 'def scale(x, factor):\n    return x\n');
  });

  scenario('the next-suggestion key shows a second, different candidate', async () => {
    await vscode.open('cycle.py', 2);
    await vscode.typeUntilGhost('return', ' a - b');
    await vscode.press('Alt+BracketRight');
    assert.equal(await vscode.waitForGhost(' b - a'), ' b - a');
    await vscode.press('Tab');
    await vscode.save();
    assert.equal(vscode.read('cycle.py'), 'def sub(a, b):\n    return b - a\n');
  });

  scenario('TypeScript: ghost text, Tab accepts', async () => {
    await vscode.open('sum.ts', 2);
    await vscode.typeUntilGhost('return', ' xs.reduce((a, b) => a + b, 0);');
    await vscode.press('Tab');
    await vscode.save();
    assert.equal(vscode.read('sum.ts'), 'function sum(xs: number[]): number {\n  return xs.reduce((a, b) => a + b, 0);\n}\n');
  });
});

describe('languages', () => {
  scenario('Kotlin, a language Grove has no grammar for, gets ghost text', async () => {
    await vscode.open('Greeter.kt', 2);
    await vscode.typeUntilGhost('return', ' "Hello, $name!"');
    await vscode.press('Tab');
    await vscode.save();
    assert.equal(vscode.read('Greeter.kt'), 'fun greet(name: String): String {\n    return "Hello, $name!"\n}\n');
  });

  scenario('"[markdown]": {"grove.completion.enabled": false} turns Markdown off; true turns it on again', async () => {
    await vscode.open('notes.md', 3);
    await vscode.type('Grove completes');
    await sleep(3_000);
    assert.equal(await vscode.ghostText(), '');
    const sent = endpoint.requests().filter((request) => request.prompt.includes('# Notes'));
    assert.deepEqual(sent, [], 'nothing of the Markdown file reaches the model');
    vscode.changeSettings({ '[markdown]': { 'grove.completion.enabled': true } });
    await vscode.press('Backspace');
    assert.equal(await vscode.typeUntilGhost('s', ' every file type.'), ' every file type.');
    vscode.changeSettings({});
  });
});

describe('status and a dead endpoint', () => {
  scenario('the status shows the model; a stopped endpoint one notification and the error; back, it recovers', async () => {
    await vscode.open('down.py', 2);
    assert.match(await vscode.waitForStatus('Grove: scripted-model'), /Grove: scripted-model/);
    await endpoint.stop();
    for (const key of 'return -'.split('')) {
      await vscode.type(key);
      await sleep(400);
    }
    const status = await vscode.waitForStatus('last error');
    assert.match(status, /Grove: scripted-model/);
    const shown = (await vscode.notifications()).filter((message) => message.includes('Grove'));
    assert.equal(shown.length, 1, `one notification, not one per keystroke: ${JSON.stringify(shown)}`);
    await endpoint.start();
    await vscode.press('Backspace', 'Backspace');
    await vscode.typeUntilGhost(' ', '-x');
    await vscode.waitForStatus((text) => text.includes('Grove: scripted-model') && !text.includes('last error'));
  });
});

describe('code actions', () => {
  scenario('Quick Fix "Generate docstring" inserts the docstring', async () => {
    await vscode.open('doc.py', 1, 6);
    await vscode.quickFix('docstring for area');
    await waitFor('the docstring in the editor', async () => (await vscode.editorText()).includes('Return the area'), 30_000);
    await vscode.save();
    const text = vscode.read('doc.py');
    assert.match(text, /^def area\(w, h\):\n    """Return the area of a rectangle\.\n/);
    assert.match(text, /        w: The width\.\n        h: The height\./);
    assert.match(text, /"""\n    return w \* h\n$/);
  });

  scenario('Quick Fix "Explain this code" opens the preview, which fills in while the model streams', async () => {
    await vscode.open('doc.py', 1, 6);
    await vscode.quickFix('Explain this code');
    const partial = await waitFor(
      'a part of the explanation in the preview',
      async () => {
        const text = await vscode.webviewText();
        return text.includes('This function') && !text.includes('they describe.') ? text : undefined;
      },
      30_000,
      50,
    );
    assert.ok(partial.length > 0);
    await waitFor('the whole explanation', async () => (await vscode.webviewText()).includes('the rectangle they describe.'), 30_000);
    await vscode.picture('vscode-explanation');
  });

  scenario('Quick Fix "Explain this diagnostic" on a diagnostic of another source (TypeScript)', async () => {
    await vscode.open('bad.ts', 1, 16);
    const problems = await waitFor(
      'the TypeScript diagnostic',
      async () => {
        const rows = await vscode.problems();
        return rows.some((row) => row.includes('ts(2322)') || row.includes('not assignable')) ? rows : undefined;
      },
      120_000,
      1_000,
    );
    assert.ok(problems.length > 0);
    await vscode.open('bad.ts', 1, 16);
    await vscode.quickFix('Explain this diagnostic');
    await waitFor('the diagnostic explanation', async () => (await vscode.webviewText()).includes('is assigned to a variable declared as a number'), 30_000);
  });
});

describe('review', () => {
  scenario('a finding shows in Problems on the right line', async () => {
    await vscode.open('review.py', 5);
    await vscode.runCommand('Grove: Review file');
    const row = await waitFor(
      'the review finding in Problems',
      async () => (await vscode.problems()).find((text) => text.includes('Division by zero when b is 0.')),
      60_000,
      500,
    );
    assert.match(row, /\[Ln 5, Col \d+\]/);
    await vscode.picture('vscode-review');
  });
});

describe('setup check', () => {
  scenario('"Grove: Check setup" from the palette shows the checks of grove doctor', async () => {
    await vscode.runCommand('Grove: Check setup');
    const report = await waitFor(
      'the setup report',
      async () => {
        const text = await vscode.webviewText();
        return text.includes('Completion mode') ? text : undefined;
      },
      30_000,
    );
    assert.match(report, /Ready: completions go to scripted-model @ http:\/\/127\.0\.0\.1:\d+\/v1/);
    for (const name of ['Python and Grove', 'Grammars', 'Model in use', 'Base URL', 'API key', 'Endpoint reachable', 'Model listed']) {
      assert.ok(report.includes(`${name}:`), `${name} in the report:\n${report}`);
    }
    assert.match(report, /Completion mode: prefix mode accepted; first token in \d+ ms/);
  });
});

describe('resilience and settings', () => {
  scenario('a killed server is restarted and ghost text works again', async () => {
    await vscode.open('killed.py', 2);
    const before = await waitFor('the grove server process', () => vscode.serverPids().length > 0 && vscode.serverPids());
    for (const pid of before) {
      process.kill(pid, 'SIGKILL');
    }
    await waitFor('a new grove server', () => {
      const now = vscode.serverPids();
      return now.length > 0 && now.every((pid) => !before.includes(pid));
    }, 30_000);
    await vscode.waitForStatus('Grove: scripted-model');
    assert.equal(await vscode.typeUntilGhost('return', ' x * 2'), ' x * 2');
  });

  scenario('completions turned off in a settings.json stop at once; on again, they come back', async () => {
    vscode.changeSettings({ 'grove.completion.enabled': false });
    await vscode.open('toggle.py', 2);
    await vscode.waitForStatus('(completions off)');
    const asked = endpoint.requests().length;
    await vscode.type('return');
    await sleep(3_000);
    assert.equal(await vscode.ghostText(), '');
    assert.equal(endpoint.requests().length, asked, 'no request while completions are off');
    vscode.changeSettings({ 'grove.completion.enabled': true });
    await vscode.waitForStatus((text) => text.includes('Grove: scripted-model') && !text.includes('completions off'));
    await vscode.press('Backspace');
    assert.equal(await vscode.typeUntilGhost('n', ' x / 2'), ' x / 2');
  });
});

