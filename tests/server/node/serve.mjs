// Shared by the Node tests of `diffucoder serve`: their command line, a server started as a child process
// on a free loopback port, and a watchdog so that no test outlives its time limit. The server is killed
// when the test process exits, however it exits.
//   node TEST.mjs --binary build/bin/diffucoder --model models/diffucoder-tiny [--artifacts DIR]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

export function testArgs() {
  const { values } = parseArgs({
    options: {
      binary: { type: 'string' },
      model: { type: 'string' },
      artifacts: { type: 'string', default: '.' },
    },
  });
  for (const name of ['binary', 'model']) {
    if (!values[name]) fail(`--${name} is required`);
  }
  if (!existsSync(values.binary)) fail(`${values.binary}: no such file (build the diffucoder target first)`);
  return values;
}

export function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

// The npm package `name`, or a failure that says how to install it.
export async function importPackage(name) {
  try {
    return await import(name);
  } catch (e) {
    fail(`cannot load the npm package '${name}' (${e.code || e}): run scripts/install-deps.sh ` +
      '(npm ci in tests/server/node)');
  }
}

// Ends the process with a failure after `seconds`, whatever is pending.
export function watchdog(seconds) {
  setTimeout(() => fail(`the test did not finish within ${seconds} s`), seconds * 1000).unref();
}

// Starts `diffucoder serve --port 0 ...extra` and resolves to { url, port, stop } once it reports the port
// it listens on ("diffucoder: serving NAME on http://HOST:PORT ..."). stop() sends SIGTERM and resolves to
// the exit code.
export function startServer({ binary, model, extra = [], startSeconds = 60 }) {
  const child = spawn(binary, ['serve', '--model', model, '--port', '0', ...extra], {
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  process.on('exit', () => child.kill('SIGKILL'));
  // A test stopped by a signal (a runner's time limit, Ctrl-C) still passes through 'exit'.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(1));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return new Promise((resolve, reject) => {
    let log = '';
    let serving = false;
    const timer = setTimeout(() => reject(new Error(`the server did not start within ${startSeconds} s:\n${log}`)),
      startSeconds * 1000);
    child.stderr.on('data', (data) => {
      process.stderr.write(data);
      log += data;
      const m = /serving \S+ on (http:\/\/[^\s:]+:(\d+))/.exec(log);
      if (m && !serving) {
        serving = true;
        clearTimeout(timer);
        resolve({
          url: m[1],
          port: Number(m[2]),
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before serving:\n${log}`));
    });
  });
}

// Runs the named async checks in order, printing each; a failed assertion ends the process with 1.
export async function runChecks(checks) {
  let failed = 0;
  for (const [name, check] of checks) {
    const started = Date.now();
    try {
      await check();
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      failed += 1;
      console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    }
  }
  return failed;
}
