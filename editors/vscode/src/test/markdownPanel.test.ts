// markdownPanel imports `vscode`: stubbed with a require hook (no VS Code at test time).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calls } from '../testing/vscodeStub';
import { showMarkdown } from '../markdownPanel';

describe('markdownPanel (stubbed vscode)', () => {
  it('opens an untitled Markdown document and previews it to the side', async () => {
    const document = await showMarkdown('# Explanation\n\nhello');
    assert.deepEqual(calls, [
      ['openTextDocument', { content: '# Explanation\n\nhello', language: 'markdown' }],
      ['executeCommand', 'markdown.showPreviewToSide', 'untitled:Untitled-1'],
    ]);
    assert.equal((document as unknown as { getText(): string }).getText(), '# Explanation\n\nhello');
  });
});
