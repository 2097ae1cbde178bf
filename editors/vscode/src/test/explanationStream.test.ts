import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXPIRED, ExplanationStore, WAITING, isExplanationProgress, resultContent } from '../explanationStream';

describe('explanation stream', () => {
  it('each explanation gets its own token and a .md path, and starts waiting for the model', () => {
    const store = new ExplanationStore();
    const first = store.begin('Explanation');
    const second = store.begin('Diagnostic');
    assert.equal(first.token, 'grove-explain-1');
    assert.equal(second.token, 'grove-explain-2');
    assert.equal(first.path, '/Explanation-1.md');
    assert.equal(second.path, '/Diagnostic-2.md');
    assert.equal(store.content(first.path), `# Explanation\n\n${WAITING}`);
    assert.equal(store.content(second.path), `# Diagnostic\n\n${WAITING}`);
  });

  it('progress for the token replaces the text (full text each time, under the heading)', () => {
    const store = new ExplanationStore();
    const explanation = store.begin('Explanation');
    assert.equal(store.progress({ token: explanation.token, markdown: 'It adds' }), explanation);
    assert.equal(store.content(explanation.path), '# Explanation\n\nIt adds');
    assert.equal(store.progress({ token: explanation.token, markdown: 'It adds two numbers.' }), explanation);
    assert.equal(store.content(explanation.path), '# Explanation\n\nIt adds two numbers.');
  });

  it('progress for an unknown token, malformed progress and unchanged text change nothing', () => {
    const store = new ExplanationStore();
    const explanation = store.begin('Explanation');
    store.progress({ token: explanation.token, markdown: 'text' });
    for (const params of [
      { token: 'grove-explain-99', markdown: 'other' },
      { token: explanation.token },
      { token: 1, markdown: 'x' },
      null,
      'text',
      { token: explanation.token, markdown: 'text' },
    ]) {
      assert.equal(store.progress(params), undefined, JSON.stringify(params));
    }
    assert.equal(store.content(explanation.path), '# Explanation\n\ntext');
    assert.equal(isExplanationProgress({ token: 't', markdown: '' }), true);
    assert.equal(isExplanationProgress({ token: 't', markdown: 3 }), false);
  });

  it('empty progress keeps the waiting line', () => {
    const store = new ExplanationStore();
    const explanation = store.begin('Explanation');
    store.progress({ token: explanation.token, markdown: '  ' });
    assert.equal(store.content(explanation.path), `# Explanation\n\n${WAITING}`);
  });

  it('the result replaces the streamed text; later progress is ignored', () => {
    const store = new ExplanationStore();
    const explanation = store.begin('Explanation');
    store.progress({ token: explanation.token, markdown: 'half a sent' });
    assert.equal(store.complete(explanation.token, '# Explanation\n\nThe whole sentence.'), explanation);
    assert.equal(store.content(explanation.path), '# Explanation\n\nThe whole sentence.');
    assert.equal(explanation.done, true);
    assert.equal(store.progress({ token: explanation.token, markdown: 'late' }), undefined);
    assert.equal(store.content(explanation.path), '# Explanation\n\nThe whole sentence.');
  });

  it('an error replaces the streamed text with the failure', () => {
    const store = new ExplanationStore();
    const explanation = store.begin('Diagnostic');
    store.progress({ token: explanation.token, markdown: 'partial' });
    assert.equal(store.fail(explanation.token, 'the endpoint timed out'), explanation);
    assert.equal(store.content(explanation.path), '# Diagnostic\n\n**Failed:** the endpoint timed out');
    assert.equal(store.fail('unknown', 'x'), undefined);
    assert.equal(store.complete('unknown', 'x'), undefined);
  });

  it('keeps the most recent explanations only', () => {
    const store = new ExplanationStore(3);
    const all = [1, 2, 3, 4, 5].map(() => store.begin('Explanation'));
    assert.equal(store.size, 3);
    assert.equal(store.content(all[0].path), EXPIRED);
    assert.equal(store.content(all[1].path), EXPIRED);
    assert.equal(store.progress({ token: all[0].token, markdown: 'late' }), undefined);
    assert.equal(store.get(all[0].token), undefined);
    assert.equal(store.content(all[4].path), `# Explanation\n\n${WAITING}`);
    assert.equal(store.content('/nothing.md'), EXPIRED);
  });

  it('result content: the titled Markdown or message, or a line saying what happened', () => {
    assert.equal(resultContent('Explanation', { kind: 'markdown', markdown: 'x\n\ny' }), '# Explanation\n\nx\n\ny');
    assert.equal(
      resultContent('Diagnostic', { kind: 'message', message: 'No diagnostic to explain.' }),
      '# Diagnostic\n\n_No diagnostic to explain._',
    );
    assert.match(resultContent('Explanation', { kind: 'none' }), /^# Explanation\n\n_The server returned no explanation._$/);
    assert.match(resultContent('Diagnostic', { kind: 'edit', edit: {}, applied: true }), /^# Diagnostic\n\n.*applied/);
    assert.match(resultContent('Review', { kind: 'unexpected', json: '"x"' }), /^# Review\n\n\*\*Unexpected result.*\n\n```json\n"x"\n```$/);
  });
});
