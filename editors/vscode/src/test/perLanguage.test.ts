// Every language is served; completions can be switched per language (settings.ts, perLanguage.ts).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { configuration, languageConfiguration } from '../testing/vscodeStub';
import { completionAllowed, withLanguageOverrides } from '../settings';
import { DOCUMENT_SELECTOR, completionOn, languageOverrides, settingsForServer } from '../perLanguage';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('withLanguageOverrides', () => {
  it('without overrides the settings are unchanged', () => {
    const settings = { model: 'm', completion: { enabled: false } };
    assert.equal(withLanguageOverrides(settings, {}), settings);
  });

  it('a language switched off joins disabledLanguages; completions stay on elsewhere', () => {
    assert.deepEqual(withLanguageOverrides({ completion: { enabled: true, maxTokens: 32 } }, { markdown: false }), {
      completion: { enabled: true, maxTokens: 32, disabledLanguages: ['markdown'] },
    });
  });

  it('off globally but on for one language: the server is told completions are on', () => {
    assert.deepEqual(withLanguageOverrides({ completion: { enabled: false } }, { python: true }), {
      completion: { enabled: true, disabledLanguages: [] },
    });
  });

  it('off globally and off for a language: still off', () => {
    assert.deepEqual(withLanguageOverrides({ completion: { enabled: false } }, { markdown: false }), {
      completion: { enabled: false, disabledLanguages: ['markdown'] },
    });
  });

  it('keeps the configured list (once each), accepts dotted keys, ignores non-strings', () => {
    const settings = { 'completion.enabled': true, 'completion.disabledLanguages': ['plaintext', 'markdown', 3] };
    assert.deepEqual(withLanguageOverrides(settings as never, { markdown: false, latex: false, python: true }), {
      completion: { enabled: true, disabledLanguages: ['plaintext', 'markdown', 'latex'] },
    });
  });
});

describe('completionAllowed', () => {
  it('off when completion.enabled resolves to false, or the language is listed', () => {
    assert.equal(completionAllowed(true, [], 'kotlin'), true);
    assert.equal(completionAllowed(undefined, undefined, 'kotlin'), true);
    assert.equal(completionAllowed(false, [], 'kotlin'), false);
    assert.equal(completionAllowed(true, ['kotlin'], 'kotlin'), false);
    assert.equal(completionAllowed(true, ['kotlin'], 'scala'), true);
  });
});

describe('language overrides read from VS Code (stubbed)', () => {
  afterEach(() => {
    for (const key of Object.keys(languageConfiguration)) {
      delete languageConfiguration[key];
    }
    delete configuration['grove.completion.enabled'];
  });

  it('languageOverrides lists the effective value of each overriding language', () => {
    languageConfiguration.markdown = { 'grove.completion.enabled': false };
    languageConfiguration.python = { 'grove.completion.enabled': true };
    languageConfiguration.go = { 'editor.tabSize': 4 };
    assert.deepEqual(languageOverrides(), { markdown: false, python: true });
  });

  it('"[python]": true with false globally: only Python documents ask the server', () => {
    configuration['grove.completion.enabled'] = false;
    languageConfiguration.python = { 'grove.completion.enabled': true };
    assert.equal(completionOn({ languageId: 'python' } as never), true);
    assert.equal(completionOn({ languageId: 'kotlin' } as never), false);
    assert.deepEqual(settingsForServer({ completion: { enabled: false }, serverPath: '/x' }), {
      completion: { enabled: true, disabledLanguages: [] },
    });
  });

  it('a language in completion.disabledLanguages does not ask, whatever its override', () => {
    configuration['grove.completion.disabledLanguages'] = ['kotlin'];
    try {
      assert.equal(completionOn({ languageId: 'kotlin' } as never), false);
      assert.equal(completionOn({ languageId: 'scala' } as never), true);
    } finally {
      delete configuration['grove.completion.disabledLanguages'];
    }
  });
});

describe('package.json: every language', () => {
  it('activates when a document of any language opens (the generic onLanguage event)', () => {
    assert.deepEqual(pkg.activationEvents, ['onLanguage']);
  });

  it('the documents served are every file and unsaved document, with no language list', () => {
    assert.deepEqual(DOCUMENT_SELECTOR, [{ scheme: 'file' }, { scheme: 'untitled' }]);
    assert.equal(fs.existsSync(path.join(root, 'src', 'languages.ts')), false);
  });

  it('grove.completion.enabled can be set per language; disabledLanguages is an array of ids', () => {
    const properties = pkg.contributes.configuration.properties;
    assert.equal(properties['grove.completion.enabled'].scope, 'language-overridable');
    assert.deepEqual(properties['grove.completion.disabledLanguages'].default, []);
    assert.deepEqual(properties['grove.completion.disabledLanguages'].items, { type: 'string' });
  });
});
