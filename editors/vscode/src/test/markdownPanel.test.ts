// markdownPanel imports `vscode`: stubbed with a require hook (no VS Code at test time).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Uri, calls, contentProviders } from '../testing/vscodeStub';
import { WAITING } from '../explanationStream';
import { EXPLANATION_SCHEME, ExplanationPanel } from '../markdownPanel';

describe('explanation panel (stubbed vscode)', () => {
  const panel = new ExplanationPanel();
  after(() => panel.dispose());
  const provider = contentProviders.get(EXPLANATION_SCHEME);
  const fired: string[] = [];
  provider?.onDidChange?.((uri) => fired.push(uri.toString()));
  const read = (uri: string) => provider!.provideTextDocumentContent(Uri.parse(uri));

  it('registers a content provider for grove-explanation: documents', () => {
    assert.ok(provider);
    assert.equal(read('grove-explanation:/Unknown-1.md').includes('no longer available'), true);
  });

  it('shows a new explanation as a virtual Markdown document beside the editor, waiting', async () => {
    const explanation = panel.begin('Explanation');
    await panel.show(explanation);
    const [name, command, uri] = calls.at(-1) as [string, string, Uri];
    assert.deepEqual([name, command], ['executeCommand', 'markdown.showPreviewToSide']);
    assert.equal(uri.scheme, 'grove-explanation');
    assert.match(uri.path, /^\/Explanation-\d+\.md$/);
    assert.equal(read(uri.toString()), `# Explanation\n\n${WAITING}`);
  });

  it('a progress notification for its token updates the document and fires onDidChange', () => {
    const explanation = panel.begin('Explanation');
    const uri = panel.uri(explanation).toString();
    fired.length = 0;
    panel.progress({ token: explanation.token, markdown: 'It adds' });
    assert.equal(read(uri), '# Explanation\n\nIt adds');
    assert.deepEqual(fired, [uri]);
  });

  it('a notification for an unknown token is ignored', () => {
    const explanation = panel.begin('Explanation');
    const uri = panel.uri(explanation).toString();
    fired.length = 0;
    panel.progress({ token: 'grove-explain-999', markdown: 'not ours' });
    assert.deepEqual(fired, []);
    assert.equal(read(uri), `# Explanation\n\n${WAITING}`);
  });

  it('the result replaces the streamed text; an error shows in the document', () => {
    const done = panel.begin('Explanation');
    panel.progress({ token: done.token, markdown: 'partial' });
    fired.length = 0;
    panel.complete(done, '# Explanation\n\nfinal');
    assert.equal(read(panel.uri(done).toString()), '# Explanation\n\nfinal');
    const failed = panel.begin('Diagnostic');
    panel.fail(failed, 'no model');
    assert.equal(read(panel.uri(failed).toString()), '# Diagnostic\n\n**Failed:** no model');
    assert.deepEqual(fired, [panel.uri(done).toString(), panel.uri(failed).toString()]);
  });

  it('a finished result (a review) is shown as its own read-only document', async () => {
    await panel.showResult('Review', '# Review\n\n3 findings');
    const [name, command, uri] = calls.at(-1) as [string, string, Uri];
    assert.deepEqual([name, command, uri.scheme], ['executeCommand', 'markdown.showPreviewToSide', EXPLANATION_SCHEME]);
    assert.match(uri.path, /^\/Review-\d+\.md$/);
    assert.equal(read(uri.toString()), '# Review\n\n3 findings');
  });
});
