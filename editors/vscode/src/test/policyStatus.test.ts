import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestartPolicy, gaveUpMessage } from '../restartPolicy';
import { statusLines, statusView } from '../status';

describe('restart policy', () => {
  it('allows 4 restarts in 3 minutes, then gives up', () => {
    let now = 0;
    const policy = new RestartPolicy(4, 180_000, () => now);
    for (let i = 0; i < 4; i++) {
      now += 10_000;
      assert.equal(policy.shouldRestart(), true, `crash ${i + 1}`);
    }
    now += 10_000;
    assert.equal(policy.shouldRestart(), false);
    assert.match(gaveUpMessage(), /5 times in the last 3 minutes/);
  });

  it('old crashes fall out of the window', () => {
    let now = 0;
    const policy = new RestartPolicy(4, 180_000, () => now);
    for (let i = 0; i < 4; i++) {
      policy.shouldRestart();
    }
    now = 180_001;
    assert.equal(policy.shouldRestart(), true);
    assert.equal(policy.recentCrashes, 1);
  });

  it('the delay doubles with each recent crash, capped at 8 s, and falls back once crashes age out', () => {
    let now = 0;
    const policy = new RestartPolicy(10, 180_000, () => now);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      policy.shouldRestart();
      delays.push(policy.delayMs());
    }
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 8000]);
    now = 500_000;
    policy.shouldRestart();
    assert.equal(policy.delayMs(), 500);
  });

  it('reset forgets crashes (manual restart)', () => {
    const policy = new RestartPolicy(1, 1000, () => 0);
    policy.shouldRestart();
    assert.equal(policy.shouldRestart(), false);
    policy.reset();
    assert.equal(policy.shouldRestart(), true);
  });
});

describe('status view', () => {
  const status = {
    target: 'embedded SmolLM2-135M',
    embedded: true,
    requests: 3,
    lastError: null,
    inFlight: 0,
    cacheHitRate: 0.5,
    completionEnabled: true,
  };

  it('shows the model target, ready', () => {
    const view = statusView(status);
    assert.equal(view.text, 'Grove: embedded SmolLM2-135M');
    assert.equal(view.severity, 'information');
    assert.equal(view.busy, false);
    assert.match(view.detail, /3 requests/);
    assert.match(view.detail, /cache hit 50%/);
  });

  it('busy while requests are in flight; error severity with the last error', () => {
    const view = statusView({ ...status, inFlight: 2, lastError: 'connection refused' });
    assert.equal(view.busy, true);
    assert.equal(view.severity, 'error');
    assert.match(view.detail, /last error: connection refused/);
  });

  it('busy while a model call runs (the pushed status says so)', () => {
    assert.equal(statusView({ ...status, inFlight: 0, busy: true }).busy, true);
    assert.equal(statusView({ ...status, inFlight: 0, busy: false }).busy, false);
  });

  it('says why this model: a server found on this machine', () => {
    const found = {
      ...status,
      target: 'Ollama · qwen2.5-coder:1.5b, found on 127.0.0.1:11434 (suffix)',
      embedded: false,
      source: 'discovery',
      origin: 'no endpoint set; using Ollama · qwen2.5-coder:1.5b, found on 127.0.0.1:11434',
    };
    const view = statusView(found);
    assert.equal(view.text, 'Grove: Ollama · qwen2.5-coder:1.5b, found on 127.0.0.1:11434 (suffix)');
    assert.match(view.detail, /^no endpoint set; using Ollama · qwen2\.5-coder:1\.5b, found on 127\.0\.0\.1:11434 · 3 requests/);
  });

  it('completions off is visible', () => {
    assert.match(statusView({ ...status, completionEnabled: false }).text, /completions off/);
  });

  it('garbage is handled', () => {
    assert.equal(statusView(null).severity, 'warning');
    assert.deepEqual(statusLines(42), ['status: 42']);
  });

  it('status lines are sorted with — for null', () => {
    assert.deepEqual(statusLines({ b: null, a: 1 }), ['a: 1', 'b: —']);
  });
});
