// The official OpenAI SDK for Node against `diffucoder serve` on the bundled model: completions, chat, a
// streamed chat, the model list and errors, asserting on what the SDK parsed (its types, its error
// classes). The server requires an API key, which the SDK sends as its Bearer token.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { importPackage, runChecks, startServer, testArgs, watchdog } from './serve.mjs';

const { default: OpenAI } = await importPackage('openai');

const args = testArgs();
watchdog(150);
const KEY = 'test-key-7f3a';
const server = await startServer({ binary: args.binary, model: args.model, extra: ['--api-key', KEY] });
const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, timeout: 60_000, maxRetries: 0 });
const question = readFileSync(join(args.model, 'prompt.txt'), 'utf8');
const PROMPT = 'def add(a, b):\n    """Return the sum of a and b."""\n';

// The same request through plain fetch: what the server sent, to compare with what the SDK made of it.
async function raw(path, body) {
  const res = await fetch(`${server.url}/v1${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  return res.json();
}

const chatRequest = {
  model: 'diffucoder-tiny',
  messages: [{ role: 'user', content: question }],
  max_tokens: 64,
  temperature: 0.4,
  seed: 11,
};

const failed = await runChecks([
  ['models.list', async () => {
    const page = await client.models.list();
    assert.equal(page.data.length, 1);
    assert.equal(page.data[0].id, 'diffucoder-tiny');
    assert.equal(page.data[0].object, 'model');
  }],
  ['completions.create', async () => {
    const body = { model: 'diffucoder-tiny', prompt: PROMPT, max_tokens: 24, temperature: 0.7, seed: 5 };
    const c = await client.completions.create(body);
    assert.equal(c.object, 'text_completion');
    assert.match(c.id, /^cmpl-/);
    assert.equal(c.model, 'diffucoder-tiny');
    assert.equal(c.choices.length, 1);
    assert.equal(c.choices[0].index, 0);
    assert.ok(['stop', 'length'].includes(c.choices[0].finish_reason));
    assert.equal(typeof c.choices[0].text, 'string');
    assert.ok(c.choices[0].text.length > 0);
    assert.ok(c.usage.prompt_tokens > 0 && c.usage.completion_tokens > 0);
    assert.ok(c.usage.completion_tokens <= 24);
    assert.equal(c.usage.total_tokens, c.usage.prompt_tokens + c.usage.completion_tokens);
    // Same seed, same text; and the SDK's text is the server's.
    const again = await client.completions.create(body);
    assert.equal(again.choices[0].text, c.choices[0].text);
    assert.equal((await raw('/completions', body)).choices[0].text, c.choices[0].text);
  }],
  ['completions.create with n, stop and the diffusion settings', async () => {
    const c = await client.completions.create({
      model: 'diffucoder-tiny', prompt: PROMPT, max_tokens: 32, n: 3, seed: 9, temperature: 1.0,
      stop: ['\n\n'], steps: 16, alg: 'entropy', block_length: 16,
    });
    assert.equal(c.choices.length, 3);
    assert.deepEqual(c.choices.map((x) => x.index), [0, 1, 2]);
    for (const choice of c.choices) assert.ok(!choice.text.includes('\n\n'), JSON.stringify(choice.text));
  }],
  ['chat.completions.create', async () => {
    const c = await client.chat.completions.create(chatRequest);
    assert.equal(c.object, 'chat.completion');
    assert.match(c.id, /^chatcmpl-/);
    assert.equal(c.choices[0].message.role, 'assistant');
    assert.equal(typeof c.choices[0].message.content, 'string');
    assert.ok(c.choices[0].message.content.length > 0);
    assert.ok(['stop', 'length'].includes(c.choices[0].finish_reason));
    assert.equal(c.usage.total_tokens, c.usage.prompt_tokens + c.usage.completion_tokens);
    assert.equal((await raw('/chat/completions', chatRequest)).choices[0].message.content,
      c.choices[0].message.content);
  }],
  ['chat.completions.create streamed', async () => {
    const whole = await client.chat.completions.create(chatRequest);
    const stream = await client.chat.completions.create({ ...chatRequest, stream: true });
    const roles = [];
    const reasons = [];
    const ids = new Set();
    let text = '';
    let usage = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      assert.equal(chunk.object, 'chat.completion.chunk');
      ids.add(chunk.id);
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        assert.equal(choice.index, 0);
        if (choice.delta.role) roles.push(choice.delta.role);
        if (choice.delta.content) text += choice.delta.content;
        if (choice.finish_reason) reasons.push(choice.finish_reason);
      }
    }
    assert.ok(chunks > 2, `${chunks} chunks`);
    assert.equal(ids.size, 1);
    assert.match([...ids][0], /^chatcmpl-/);
    assert.deepEqual(roles, ['assistant']);
    assert.deepEqual(reasons, [whole.choices[0].finish_reason]);
    assert.equal(text, whole.choices[0].message.content);
    assert.deepEqual(usage, whole.usage);
  }],
  ['errors become the SDK error classes', async () => {
    await assert.rejects(
      client.completions.create({ model: 'diffucoder-tiny', prompt: 'x', max_tokens: 8, bogus: 1 }),
      (e) => {
        assert.ok(e instanceof OpenAI.BadRequestError, String(e));
        assert.equal(e.status, 400);
        assert.equal(e.code, 'unknown_field');
        assert.equal(e.param, 'bogus');
        assert.equal(e.type, 'invalid_request_error');
        return true;
      });
    await assert.rejects(
      client.chat.completions.create({ model: 'diffucoder-tiny', messages: [], max_tokens: 8 }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'messages');
    const stranger = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', timeout: 10_000, maxRetries: 0 });
    await assert.rejects(stranger.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  }],
]);

const code = await server.stop();
if (code !== 0) {
  console.log(`FAIL the server exited with ${code} after SIGTERM`);
  process.exit(1);
}
process.exit(failed === 0 ? 0 : 1);
