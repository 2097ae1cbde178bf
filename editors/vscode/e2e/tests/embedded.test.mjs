// Grove in a real VS Code with no endpoint configured: the embedded model (the `local` extra)
// answers, as it does for a new user who has set nothing up.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, test } from 'node:test';
import { VSCode, baseSettings, tempDir } from '../harness.mjs';

const dir = tempDir('grove-vscode-embedded-');
const vscode = new VSCode(dir);

before(async () => {
  vscode.writeSettings(baseSettings(undefined));
  vscode.file('shapes.py', 'def area_of_square(side):\n    \n');
  try {
    await vscode.launch();
  } catch (error) {
    error.message = `${error.message}\n    screenshot and extension log kept in ${await vscode.keepArtifacts('embedded start')}`;
    throw error;
  }
});

after(async () => {
  await vscode.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('with no endpoint configured, the embedded model gives ghost text', async () => {
  try {
    await vscode.open('shapes.py', 2);
    // The model loads on the first request; the status names it once the server runs.
    await vscode.waitForStatus((text) => /smollm2/i.test(text), 60_000);
    const ghost = await vscode.typeUntilGhost('return', undefined, 180_000);
    assert.ok(ghost.trim().length > 0, `ghost text: ${JSON.stringify(ghost)}`);
  } catch (error) {
    const where = await vscode.keepArtifacts('embedded model');
    error.message = `${error.message}\n    screenshot and extension log kept in ${where}`;
    throw error;
  }
});
