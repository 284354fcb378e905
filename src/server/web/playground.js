// The playground: sends the prompt to /v1/completions (plain) or /v1/chat/completions (chat) with
// "stream": true and the "stream_canvas" extension, draws every canvas event (masked slots shaded, the
// step's fresh tokens highlighted), appends every text delta to the answer, and after the run colours each
// answer token by the step that committed it. For tests: document.body.dataset.state is "idle", "running",
// "done" or "error", and the canvas's data-frames counts the canvas events drawn.
'use strict';

const $ = (id) => document.getElementById(id);

// Viridis at five stops: early steps dark blue-violet, late ones yellow.
const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

function rampColour(t) {
  const x = Math.min(Math.max(t, 0), 1) * (RAMP.length - 1);
  const i = Math.min(Math.floor(x), RAMP.length - 2);
  const f = x - i;
  const rgb = RAMP[i].map((c, k) => Math.round(c + (RAMP[i + 1][k] - c) * f));
  const light = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 140;
  return { background: `rgb(${rgb.join(',')})`, color: light ? '#000' : '#fff' };
}

function authHeaders() {
  const key = $('api_key').value.trim();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

// The request body from the form; empty fields are left to the server's defaults.
function requestBody() {
  const chat = document.querySelector('input[name="mode"]:checked').value === 'chat';
  const prompt = $('prompt').value;
  const body = chat ? { messages: [{ role: 'user', content: prompt }] } : { prompt };
  for (const id of ['max_tokens', 'steps', 'block_length', 'seed']) {
    if ($(id).value !== '') body[id] = parseInt($(id).value, 10);
  }
  for (const id of ['temperature', 'top_p', 'threshold', 'factor']) {
    if ($(id).value !== '') body[id] = parseFloat($(id).value);
  }
  for (const id of ['alg', 'cache']) {
    if ($(id).value !== '') body[id] = $(id).value;
  }
  if ($('early_stop').checked) body.early_stop = true;
  body.stream = true;
  body.stream_canvas = true;
  return { chat, body };
}

// The `data:` payloads of a server-sent event stream, as they arrive.
async function* ssePayloads(stream) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split('\n')) {
        if (line.startsWith('data: ')) yield line.slice(6);
      }
    }
  }
}

// The canvas of one run: a span per slot, and the step at which each slot was committed (0: masked).
class CanvasView {
  constructor(element) {
    this.element = element;
    this.element.replaceChildren();
    this.element.classList.remove('heat');
    this.spans = [];
    this.steps = [];
    this.totalSteps = 0;
    this.frames = 0;
    this.element.dataset.frames = '0';
  }

  draw(event) {
    const choice = event.choices[0];
    if (!choice) return;
    this.totalSteps = event.total_steps;
    this.element.dataset.frames = String(++this.frames);
    while (this.spans.length < choice.slots.length) {
      const span = document.createElement('span');
      this.element.append(span);
      this.spans.push(span);
      this.steps.push(0);
    }
    const fresh = new Set(choice.fresh);
    choice.slots.forEach((text, i) => {
      if (text !== null && this.steps[i] === 0) this.steps[i] = event.step;
      this.paint(i, text, fresh.has(i));
    });
  }

  paint(i, text, fresh) {
    const span = this.spans[i];
    const special = text !== null && /^<\|[^|]*\|>$/.test(text);
    span.className = text === null ? 'mask' : fresh ? 'fresh' : '';
    if (special) span.classList.add('special');
    span.textContent = text === null ? '\u2591' : special ? text.replace(/^<\|(.*)\|>$/, '\u27e8$1\u27e9') : text;
    if (special) span.title = text;
  }

  // Colours the first `answerTokens` slots by their commit step, over the steps that ran (a run ends before
  // its last step once every answer has settled); the rest fade.
  heatMap(answerTokens) {
    this.element.classList.add('heat');
    const last = Math.max(1, this.frames);
    this.spans.forEach((span, i) => {
      span.classList.remove('fresh');
      const step = this.steps[i];
      if (i >= answerTokens || step === 0) {
        span.classList.add('after');
        return;
      }
      const { background, color } = rampColour(last > 1 ? (step - 1) / (last - 1) : 1);
      span.style.background = background;
      span.style.color = color;
      span.dataset.step = step;
      span.dataset.index = i;
      span.title = `token ${i + 1}: committed at step ${step} of ${last}`;
    });
    $('legend-last').textContent = `step ${last}`;
    $('legend').hidden = false;
  }
}

let controller = null;

function setState(state, message) {
  document.body.dataset.state = state;
  $('status').textContent = message;
  $('status').classList.toggle('error', state === 'error');
  $('run').disabled = state === 'running';
  $('stop').disabled = state !== 'running';
}

function errorMessage(payload) {
  const e = payload && payload.error;
  return e ? `${e.message}${e.param ? ` (${e.param})` : ''}` : 'the request failed';
}

async function run(event) {
  event.preventDefault();
  const { chat, body } = requestBody();
  const view = new CanvasView($('canvas'));
  $('legend').hidden = true;
  $('answer').textContent = '';
  $('usage').textContent = '';
  $('token-info').textContent = '';
  cursor = -1;
  controller = new AbortController();
  setState('running', 'denoising…');
  const started = performance.now();
  let answer = '';
  let usage = null;
  try {
    const res = await fetch(chat ? '/v1/chat/completions' : '/v1/completions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authHeaders() },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    if (!res.ok) {
      setState('error', errorMessage(await res.json().catch(() => null)));
      return;
    }
    for await (const payload of ssePayloads(res.body)) {
      if (payload === '[DONE]') break;
      const msg = JSON.parse(payload);
      if (msg.error) {
        setState('error', errorMessage(msg));
        return;
      }
      if (msg.object === 'diffusion.canvas') {
        view.draw(msg);
        $('status').textContent = `step ${msg.step} of ${msg.total_steps}`;
      } else if (msg.choices && msg.choices.length > 0) {
        const c = msg.choices[0];
        answer += chat ? (c.delta.content || '') : c.text;
        $('answer').textContent = answer;
      } else if (msg.usage) {
        usage = msg.usage;
      }
    }
  } catch (e) {
    setState('error', e.name === 'AbortError' ? 'stopped' : String(e));
    return;
  } finally {
    controller = null;
  }
  const seconds = (performance.now() - started) / 1000;
  const tokens = usage ? usage.completion_tokens : 0;
  view.heatMap(tokens);
  $('usage').textContent = usage
    ? `${usage.prompt_tokens} prompt tokens, ${tokens} answer tokens, ${view.frames} of ${view.totalSteps} steps, ` +
      `${seconds.toFixed(2)} s`
    : '';
  setState('done', 'done');
}

function showTokenInfo(span) {
  $('token-info').textContent =
    `token ${Number(span.dataset.index) + 1} ${JSON.stringify(span.textContent)}: ` +
    `committed at step ${span.dataset.step}`;
}

// The heat map by keyboard: with the canvas focused, the arrow keys walk the answer tokens.
let cursor = -1;
function moveCursor(event) {
  const spans = [...$('canvas').querySelectorAll('span[data-step]')];
  const delta = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
  if (spans.length === 0 || delta === undefined) return;
  event.preventDefault();
  cursor = Math.min(Math.max(cursor + delta, 0), spans.length - 1);
  spans.forEach((span, i) => span.classList.toggle('cursor', i === cursor));
  showTokenInfo(spans[cursor]);
}

async function showModel() {
  try {
    const res = await fetch('/v1/models', { headers: authHeaders() });
    const list = await res.json();
    $('model-name').textContent = res.ok ? list.data[0].id : '(set the API key to see it)';
  } catch (e) {
    $('model-name').textContent = '(unknown)';
  }
}

$('run-form').addEventListener('submit', run);
$('stop').addEventListener('click', () => controller && controller.abort());
$('prompt').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) $('run-form').requestSubmit();
});
$('canvas').addEventListener('mouseover', (e) => {
  const span = e.target.closest('span[data-step]');
  if (span) showTokenInfo(span);
});
$('canvas').addEventListener('keydown', moveCursor);
$('api_key').addEventListener('change', showModel);
setState('idle', '');
showModel();
