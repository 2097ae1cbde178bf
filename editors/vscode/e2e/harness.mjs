// The pieces of a real-VS-Code test: the scripted endpoint (a Python process answering by rules),
// code-server with a throwaway profile and the packaged extension, and headless Chromium driven
// by playwright-core, with helpers that act as a user would (keys, menus) and read what a user
// sees (ghost text, notifications, the Problems panel, the preview).
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const E2E = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(E2E, '..', '..', '..');
export const ARTIFACTS = path.join(E2E, '.artifacts');
const PYTHON = process.env.GROVE_PYTHON ?? path.join(ROOT, '.venv', 'bin', 'python');
const CHROMIUM = process.env.GROVE_E2E_CHROMIUM ?? '/usr/bin/chromium';
const VSIX = process.env.GROVE_E2E_VSIX ?? path.join(E2E, '.tools', 'grove.vsix');
const CODE_SERVER = path.join(E2E, 'node_modules', '.bin', 'code-server');

/**
 * Settings of `scope: machine` and `machine-overridable`, which code-server's extension host reads
 * from its Machine settings only (seen: grove.serverPath in User settings is ignored).
 */
const MACHINE_SCOPED = ['grove.endpoint.apiKeyEnv', 'grove.serverPath'];

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `probe` until it returns a truthy value; throw `what` after `timeoutMs`. */
export async function waitFor(what, probe, timeoutMs = 20_000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) {
      return last;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Environment for child processes: no OpenAI variables of the developer's, a private home, and no
 * looking for model servers this machine runs (Ollama & co. on their usual ports).
 */
function cleanEnv(home, extra = {}) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('OPENAI_') && !key.startsWith('GROVE_')),
  );
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    GROVE_RUNTIME_DIR: path.join(home, 'runtime'),
    GROVE_DISCOVERY_PORTS: '',
    ...extra,
  };
}

/** Send SIGTERM to a detached child's process group, then SIGKILL if it lingers. */
async function stopGroup(child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = once(child, 'exit');
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = sleep(graceMs).then(() => 'late');
  if ((await Promise.race([exited, timer])) === 'late') {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    await exited;
  }
}

/** The scripted OpenAI-compatible endpoint (tests/support/rules_endpoint.py); stop and start it again on its port. */
export class Endpoint {
  constructor(dir) {
    this.dir = dir;
    this.rulesFile = path.join(dir, 'rules.json');
    this.logFile = path.join(dir, 'requests.jsonl');
    this.port = 0;
    this.child = undefined;
    this.setRules([]);
  }

  get baseUrl() {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Answer by these rules from now on (see rules_endpoint.py): [{when: [...], reply}]. */
  setRules(rules, fallback = '') {
    fs.writeFileSync(this.rulesFile, JSON.stringify({ rules, default: fallback }));
  }

  /** Every request so far: [{path, prompt}]. */
  requests() {
    if (!fs.existsSync(this.logFile)) {
      return [];
    }
    return fs
      .readFileSync(this.logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  }

  async start() {
    this.port ||= await freePort();
    const child = spawn(
      PYTHON,
      ['-m', 'tests.support.rules_endpoint', '--port', String(this.port), '--rules', this.rulesFile, '--log', this.logFile],
      { cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    await waitFor('the scripted endpoint', () => stderr.includes('rules endpoint on') || child.exitCode !== null, 15_000);
    if (child.exitCode !== null) {
      throw new Error(`the scripted endpoint exited: ${stderr}`);
    }
  }

  async stop() {
    await stopGroup(this.child);
    this.child = undefined;
  }
}

/** User settings for the test profile: the endpoint, the venv's server, quiet VS Code defaults. */
export function baseSettings(endpoint) {
  const settings = {
    'files.autoSave': 'off',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'security.workspace.trust.enabled': false,
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'update.mode': 'none',
    'editor.inlineSuggest.enabled': true,
    'editor.quickSuggestions': { other: false, comments: false, strings: false },
    'editor.suggestOnTriggerCharacters': false,
    'editor.wordBasedSuggestions': 'off',
    'editor.minimap.enabled': false,
    'editor.lightbulb.enabled': 'on',
    'window.restoreWindows': 'none',
    'git.enabled': false,
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'grove.serverPath': path.join(path.dirname(PYTHON), 'grove'),
    'grove.endpoint.apiKeyEnv': '',
    'grove.logLevel': 'debug',
    'grove.completion.debounceMs': 0,
  };
  if (endpoint) {
    settings['grove.endpoint.baseUrl'] = endpoint.baseUrl;
    settings['grove.model'] = 'scripted-model';
  }
  return settings;
}

/** code-server with a throwaway profile and the packaged extension, and Chromium on it. */
export class VSCode {
  constructor(dir) {
    this.dir = dir;
    this.home = path.join(dir, 'home');
    this.userData = path.join(dir, 'user-data');
    this.extensions = path.join(dir, 'extensions');
    this.workspace = path.join(dir, 'workspace');
    for (const folder of [this.home, this.extensions, this.workspace, path.join(this.userData, 'User'), path.join(this.userData, 'Machine')]) {
      fs.mkdirSync(folder, { recursive: true });
    }
    this.settingsFile = path.join(this.userData, 'User', 'settings.json');
    this.machineSettingsFile = path.join(this.userData, 'Machine', 'settings.json');
    this.serverLog = '';
  }

  /**
   * Write the user's settings.json, before launch. code-server is a remote: its extension host
   * reads machine-scoped settings from its Machine settings, so those go there too.
   */
  writeSettings(settings) {
    fs.writeFileSync(this.settingsFile, JSON.stringify(settings, null, 2));
    this.machineSettings = Object.fromEntries(Object.entries(settings).filter(([key]) => MACHINE_SCOPED.includes(key)));
    this.changeSettings({});
  }

  /**
   * Change settings while VS Code runs, in a settings.json it watches: code-server's remote
   * (Machine) settings.json, which overrides the user's (code-server reads its User settings
   * once, at start: seen here).
   */
  changeSettings(changes) {
    fs.writeFileSync(this.machineSettingsFile, JSON.stringify({ ...this.machineSettings, ...changes }, null, 2));
  }

  /** A file in the workspace folder. */
  file(name, text) {
    const file = path.join(this.workspace, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (text !== undefined) {
      fs.writeFileSync(file, text);
    }
    return file;
  }

  read(name) {
    return fs.readFileSync(path.join(this.workspace, name), 'utf8');
  }

  get env() {
    return cleanEnv(this.home, { GROVE_EMBEDDED_IDLE_S: '5' });
  }

  async launch() {
    const common = ['--user-data-dir', this.userData, '--extensions-dir', this.extensions];
    execFileSync(CODE_SERVER, [...common, '--install-extension', VSIX], { env: this.env, stdio: 'pipe' });
    this.port = await freePort();
    this.server = spawn(
      CODE_SERVER,
      [
        '--bind-addr',
        `127.0.0.1:${this.port}`,
        '--auth',
        'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        ...common,
        this.workspace,
      ],
      { cwd: this.workspace, env: this.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const collect = (chunk) => {
      this.serverLog += chunk;
    };
    this.server.stdout.on('data', collect);
    this.server.stderr.on('data', collect);
    await waitFor('code-server to listen', () => this.serverLog.includes('HTTP server listening') || this.server.exitCode !== null, 60_000);
    if (this.server.exitCode !== null) {
      throw new Error(`code-server exited: ${this.serverLog}`);
    }
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const context = await this.browser.newContext({ viewport: { width: 1200, height: 760 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://127.0.0.1:${this.port}` });
    this.page = await context.newPage();
    await this.page.goto(`http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`);
    await this.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await this.page.waitForSelector('.statusbar', { timeout: 60_000 });
  }

  /** Stop the browser and code-server (and with it the extension host and `grove serve`). */
  async close() {
    await this.browser?.close().catch(() => undefined);
    await stopGroup(this.server);
  }

  /** Keep a screenshot and the extension's logs for a failed scenario; return where. */
  async keepArtifacts(name) {
    const folder = path.join(ARTIFACTS, name.replace(/[^\w.-]+/g, '-'));
    fs.mkdirSync(folder, { recursive: true });
    if (this.page) {
      await this.page.screenshot({ path: path.join(folder, 'screenshot.png') }).catch(() => undefined);
    }
    for (const log of findFiles(path.join(this.userData, 'logs'), (name) => /grove/i.test(name))) {
      fs.copyFileSync(log, path.join(folder, path.basename(path.dirname(log)) + '-' + path.basename(log)));
    }
    fs.writeFileSync(path.join(folder, 'code-server.log'), this.serverLog);
    return folder;
  }

  /**
   * With GROVE_E2E_PICTURES set to a folder, save a screenshot there as `<name>.png` (the
   * pictures in docs/: `npm run pictures`).
   */
  async picture(name) {
    const folder = process.env.GROVE_E2E_PICTURES;
    if (folder) {
      fs.mkdirSync(folder, { recursive: true });
      await this.page.screenshot({ path: path.join(folder, `${name}.png`) });
    }
  }

  /** The text of every line of the Grove output channel's log file so far. */
  outputLog() {
    return findFiles(path.join(this.userData, 'logs'), (name) => /grove/i.test(name))
      .map((file) => fs.readFileSync(file, 'utf8'))
      .join('\n');
  }

  // ---------------------------------------------------------------------- acting as a user

  async press(...keys) {
    for (const key of keys) {
      await this.page.keyboard.press(key);
    }
  }

  async type(text) {
    await this.page.keyboard.type(text, { delay: 25 });
  }

  /** Run a command from the palette by its title, as a user would. */
  async runCommand(title) {
    await this.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
    await this.press('Enter');
  }

  /** Open a workspace file with Quick Open and put the cursor at `line`:`column` (1-based; end of line by default). */
  async open(name, line, column) {
    await this.press('Control+P');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(name);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
    await this.press('Enter');
    await this.page.locator(`.tab.active[data-resource-name="${name}"]`).waitFor();
    await this.page.locator('.monaco-editor .view-lines').first().waitFor();
    if (line !== undefined) {
      await this.goTo(line, column);
    }
  }

  async goTo(line, column) {
    await this.press('Control+G');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(column === undefined ? `:${line}` : `:${line}:${column}`);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: `line ${line}` }).first().waitFor();
    await this.press('Enter');
    await input.waitFor({ state: 'hidden' });
    if (column === undefined) {
      await this.press('End');
    }
  }

  async save() {
    await this.press('Control+S');
    await waitFor('the editor to save', async () => (await this.page.locator('.tab.active.dirty').count()) === 0, 10_000);
  }

  /** The ghost text shown in the editor ('' if none); VS Code renders spaces as NBSP. */
  async ghostText() {
    const editor = this.page.locator('.editor-instance .monaco-editor').first();
    const inline = await editor.locator('.view-lines .ghost-text-decoration').allTextContents();
    const below = await editor.locator('.ghost-text .view-line').allTextContents();
    return [inline.join(''), ...below].join('\n').replace(/\u00a0/g, ' ').replace(/\n+$/, '');
  }

  /** The visible lines of the active editor, top to bottom (without ghost text). */
  async editorText() {
    const lines = await this.page
      .locator('.editor-instance .monaco-editor .view-lines .view-line')
      .evaluateAll((elements) =>
        elements
          .map((element) => {
            const clone = element.cloneNode(true);
            clone.querySelectorAll('.ghost-text-decoration').forEach((ghost) => ghost.remove());
            return { top: parseFloat(element.style.top), text: clone.textContent };
          })
          .sort((a, b) => a.top - b.top)
          .map((line) => line.text),
      );
    return lines.join('\n').replace(/\u00a0/g, ' ');
  }

  async waitForGhost(expected, timeoutMs = 20_000) {
    return waitFor(
      `ghost text ${JSON.stringify(expected ?? 'any')}`,
      async () => {
        const shown = await this.ghostText();
        return (expected === undefined ? shown.trim() !== '' : shown.includes(expected)) ? shown : undefined;
      },
      timeoutMs,
    );
  }

  /**
   * Type `text`, then wait for ghost text. Right after a file opens the language client may not be
   * running yet and VS Code sends no request: like a user's next keystroke, retype the last
   * character until a suggestion shows.
   */
  async typeUntilGhost(text, expected, timeoutMs = 60_000) {
    await this.type(text);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.waitForGhost(expected, 6_000);
      } catch (error) {
        if (Date.now() > deadline) {
          throw error;
        }
      }
      await this.press('Backspace');
      await this.type(text.slice(-1));
    }
  }

  /** Texts of the notification toasts now visible. */
  async notifications() {
    return this.page.locator('.notification-toast .notification-list-item-message').allInnerTexts();
  }

  /** Open the Quick Fix menu at the cursor and pick the action titled `title`. */
  async quickFix(title) {
    await waitFor(
      `the code action "${title}"`,
      async () => {
        await this.press('Control+.');
        const item = this.page.locator('.action-widget .monaco-list-row', { hasText: title }).first();
        try {
          await item.waitFor({ state: 'visible', timeout: 3_000 });
        } catch {
          await this.press('Escape');
          return false;
        }
        await item.click();
        return true;
      },
      30_000,
      500,
    );
  }

  /** Rows of the Problems panel (opened if closed): their text, e.g. "Division by zero grove [Ln 3, Col 5]". */
  async problems() {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible())) {
      await this.runCommand('Problems: Focus on Problems View');
      await panel.waitFor({ state: 'visible' });
    }
    const rows = await this.page.locator('.markers-panel .monaco-list-row').allInnerTexts();
    return rows.map((row) => row.replace(/\s+/g, ' ').trim());
  }

  /** The language status hover of the active editor (Grove's status item among it). */
  async languageStatus() {
    const button = this.page.locator('.statusbar-item .language-status, #status\\.languageStatus a').first();
    await button.waitFor({ state: 'visible' });
    await button.hover();
    const hover = this.page.locator('.monaco-hover.workbench-hover:visible', { hasText: 'Grove' }).first();
    try {
      await hover.waitFor({ state: 'visible', timeout: 5_000 });
      return (await hover.innerText()).replace(/\s+/g, ' ').trim();
    } finally {
      await this.page.mouse.move(600, 300);
      await this.page.mouse.move(0, 0);
    }
  }

  /** Close every editor, dropping unsaved changes (between scenarios). */
  async closeAllEditors() {
    await this.runCommand('View: Close All Editor Groups');
    const dontSave = this.page.locator('.monaco-dialog-box .monaco-button', { hasText: "Don't Save" });
    for (let i = 0; i < 20; i++) {
      try {
        await dontSave.waitFor({ state: 'visible', timeout: 1_000 });
      } catch {
        break;
      }
      await dontSave.click();
    }
  }

  /** Wait until the status hover contains `expected` (a string or a predicate on the text). */
  async waitForStatus(expected, timeoutMs = 30_000) {
    const matches = typeof expected === 'function' ? expected : (text) => text.includes(expected);
    return waitFor(
      `the Grove status to show ${String(expected)}`,
      async () => {
        const text = await this.languageStatus().catch(() => '');
        return matches(text) ? text : undefined;
      },
      timeoutMs,
      500,
    );
  }

  /** Text of every webview frame (the Markdown preview lives in one). */
  async webviewText() {
    const texts = [];
    for (const frame of this.page.frames()) {
      try {
        const body = await frame.locator('body').innerText({ timeout: 500 });
        texts.push(body);
      } catch {
        // detached or not ready
      }
    }
    return texts.join('\n');
  }

  /** PIDs of the `grove serve` processes this profile started. */
  serverPids() {
    const pids = [];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) {
        continue;
      }
      try {
        const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        const environ = fs.readFileSync(`/proc/${entry}/environ`, 'utf8');
        if (cmdline.some((arg) => arg.endsWith('grove')) && cmdline.includes('serve') && environ.includes(`HOME=${this.home}\0`)) {
          pids.push(Number(entry));
        }
      } catch {
        // gone, or not ours to read
      }
    }
    return pids;
  }
}

function findFiles(dir, match) {
  const found = [];
  if (!fs.existsSync(dir)) {
    return found;
  }
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      found.push(...findFiles(full, match));
    } else if (match(entry.name)) {
      found.push(full);
    }
  }
  return found;
}

/** A fresh temporary folder for one suite. */
export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
