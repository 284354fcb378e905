// Headless Chromium (Debian's chromium, driven by playwright-core) against the playground of
// `diffucoder serve` on the bundled model: the page is filled in and run in each format, the canvas must be
// drawn step by step and end as the heat map, and the answer on the page must equal the answer of the
// non-streamed endpoint for the same seed and settings. Saves a screenshot of each run under --artifacts.
//   CHROMIUM=/path/to/chromium overrides /usr/bin/chromium.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { fail, importPackage, runChecks, startServer, testArgs, watchdog } from './serve.mjs';

const { chromium } = await importPackage('playwright-core');

const args = testArgs();
watchdog(150);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) fail(`${executablePath}: no Chromium (scripts/install-deps.sh installs it)`);
mkdirSync(args.artifacts, { recursive: true });

const server = await startServer({ binary: args.binary, model: args.model });
const browser = await chromium.launch({
  executablePath,
  // Chromium's sandbox needs user namespaces, which root in a container does not get.
  args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
  timeout: 30_000,
});
const question = readFileSync(join(args.model, 'prompt.txt'), 'utf8');

// Fills the form, runs it, and returns what the page shows once it is done.
async function runPage(page, { mode, prompt, settings }) {
  await page.goto(server.url, { timeout: 20_000 });
  await page.waitForFunction(() => document.body.dataset.state === 'idle', null, { timeout: 10_000 });
  await page.check(`input[name="mode"][value="${mode}"]`);
  await page.fill('#prompt', prompt);
  for (const [id, value] of Object.entries(settings)) await page.fill(`#${id}`, String(value));
  await page.click('#run');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null,
    { timeout: 60_000 });
  const status = await page.textContent('#status');
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'done', `the page says: ${status}`);
  return page.evaluate(() => {
    const spans = [...document.querySelectorAll('#canvas span')];
    return {
      answer: document.getElementById('answer').textContent,
      frames: Number(document.getElementById('canvas').dataset.frames),
      slots: spans.length,
      masked: spans.filter((s) => s.classList.contains('mask')).length,
      steps: spans.filter((s) => s.dataset.step).map((s) => Number(s.dataset.step)),
      titles: spans.filter((s) => s.dataset.step).map((s) => s.title),
      legendShown: !document.getElementById('legend').hidden,
      usage: document.getElementById('usage').textContent,
    };
  });
}

async function post(path, body) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  assert.equal(res.status, 200);
  return res.json();
}

// The canvas ran live and ended as a heat map over the answer tokens.
function checkCanvas(shown, maxTokens, steps) {
  assert.equal(shown.slots, maxTokens);
  assert.ok(shown.frames > 1 && shown.frames <= steps, `${shown.frames} canvas events`);
  assert.ok(shown.steps.length > 0, 'no token coloured by its step');
  for (const s of shown.steps) assert.ok(Number.isInteger(s) && s >= 1 && s <= shown.frames, `step ${s}`);
  assert.ok(new Set(shown.steps).size > 1, 'every token committed at one step');
  assert.match(shown.titles[0], /^token 1: committed at step \d+ of \d+$/);
  assert.ok(shown.legendShown);
}

const failed = await runChecks([
  ['plain completion on the page = /v1/completions', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const settings = { max_tokens: 48, steps: 48, seed: 21, temperature: 0.6 };
    const prompt = 'def affine(x: int) -> int:\n    """Return 3 * x + -5."""\n';
    const shown = await runPage(page, { mode: 'plain', prompt, settings });
    const api = await post('/v1/completions', { prompt, ...settings });
    assert.equal(shown.answer, api.choices[0].text);
    assert.ok(shown.answer.length > 0);
    checkCanvas(shown, settings.max_tokens, settings.steps);
    await page.screenshot({ path: join(args.artifacts, 'playground-plain.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  }],
  ['chat on the page = /v1/chat/completions', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const settings = { max_tokens: 96, steps: 96, seed: 4, temperature: 0.3 };
    const shown = await runPage(page, { mode: 'chat', prompt: question, settings });
    const api = await post('/v1/chat/completions', { messages: [{ role: 'user', content: question }], ...settings });
    assert.equal(shown.answer, api.choices[0].message.content);
    assert.ok(shown.answer.length > 0);
    checkCanvas(shown, settings.max_tokens, settings.steps);
    assert.match(shown.usage, new RegExp(`^\\d+ prompt tokens, ${api.usage.completion_tokens} answer tokens`));
    // Each token's step, by hover and by keyboard.
    const third = page.locator('#canvas span[data-step]').nth(2);
    await third.hover();
    assert.equal(await page.textContent('#token-info'),
      `token 3 ${JSON.stringify(await third.textContent())}: committed at step ${shown.steps[2]}`);
    await page.focus('#canvas');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowLeft');
    assert.match(await page.textContent('#token-info'), new RegExp(`^token 1 .*: committed at step ${shown.steps[0]}$`));
    await page.screenshot({ path: join(args.artifacts, 'playground.png'), fullPage: true });
    await page.close();
  }],
  ['Stop ends a run and the next one is served', async () => {
    const page = await browser.newPage();
    await page.goto(server.url, { timeout: 20_000 });
    await page.check('input[name="mode"][value="plain"]');
    await page.fill('#prompt', 'def long_running():');
    await page.fill('#max_tokens', '512');
    await page.click('#run');
    await page.waitForFunction(() => Number(document.getElementById('canvas').dataset.frames) >= 3, null,
      { timeout: 30_000 });
    await page.click('#stop');
    await page.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: 10_000 });
    assert.equal(await page.textContent('#status'), 'stopped');
    const frames = Number(await page.getAttribute('#canvas', 'data-frames'));
    assert.ok(frames < 512, `${frames} canvas events`);
    await page.fill('#max_tokens', '16');
    await page.click('#run');
    await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 60_000 });
    await page.close();
  }],
  ['a bad setting shows the server error', async () => {
    const page = await browser.newPage();
    await page.goto(server.url, { timeout: 20_000 });
    await page.fill('#prompt', 'x');
    await page.fill('#max_tokens', '100000');
    await page.click('#run');
    await page.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: 20_000 });
    assert.match(await page.textContent('#status'), /max_tokens/);
    await page.close();
  }],
]);

await browser.close();
const code = await server.stop();
if (code !== 0) {
  console.log(`FAIL the server exited with ${code} after SIGTERM`);
  process.exit(1);
}
process.exit(failed === 0 ? 0 : 1);
