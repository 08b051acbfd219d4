// First page load in Chromium: the bytes a first and a repeat visit transfer, and the time until
// the page is interactive (hydrated). Runs against the release build (`make bench` builds it
// first) on its own port and database; writes bench/results/first_load.md.
//
//   node bench/first_load.mjs [runs]
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'end2end', 'package.json'));
const { chromium } = require('playwright-core');

const RUNS = Number(process.argv[2] ?? 5);
const PORT = 3457;
const BASE = `http://127.0.0.1:${PORT}`;
const PASSWORD = 'bench-first-load-password';
const GOAL_BYTES = 1_000_000;
const bin = join(root, 'target', 'release', 'switchboard');
const env = {
  ...process.env,
  SWITCHBOARD_ADDR: `127.0.0.1:${PORT}`,
  SWITCHBOARD_DB_NAME: 'switchboard_bench_first_load',
  SWITCHBOARD_DATA_DIR: join(root, '.data'),
  SWITCHBOARD_ADMIN_PASSWORD: PASSWORD,
  LEPTOS_SITE_ROOT: join(root, 'target', 'site'),
  RUST_LOG: 'warn',
};

function fail(message) {
  console.error(`first_load: ${message}`);
  process.exit(1);
}

async function waitReady(server) {
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    if (server.exitCode !== null) fail(`the server exited (${server.exitCode})`);
    try {
      const r = await fetch(`${BASE}/readyz`);
      if (r.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  fail('the server did not become ready in 120 s');
}

/** One visit of `path`: every response's transferred bytes (by kind) and the time from the
 * navigation's start until the page is hydrated. */
async function visit(page, path) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const kinds = new Map();
  const bytes = { document: 0, wasm: 0, script: 0, css: 0, other: 0 };
  const encodings = {};
  let requests = 0;
  cdp.on('Network.responseReceived', (e) => {
    const url = new URL(e.response.url);
    const kind = e.type === 'Document' ? 'document'
      : url.pathname.endsWith('.wasm') ? 'wasm'
      : url.pathname.endsWith('.js') ? 'script'
      : url.pathname.endsWith('.css') ? 'css' : 'other';
    kinds.set(e.requestId, kind);
    const enc = e.response.headers['content-encoding'] ?? e.response.headers['Content-Encoding'];
    if (kind !== 'other') encodings[kind] = enc ?? (e.response.fromDiskCache ? 'cache' : 'none');
  });
  cdp.on('Network.loadingFinished', (e) => {
    requests += 1;
    bytes[kinds.get(e.requestId) ?? 'other'] += e.encodedDataLength;
  });
  await page.goto(BASE + path, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__sbHydrated === true, null, { polling: 'raf', timeout: 60_000 });
  const tti = await page.evaluate(() => performance.now());
  // Let late responses (favicon, live events) report their size.
  await page.waitForLoadState('load');
  await cdp.detach();
  const total = Object.values(bytes).reduce((a, b) => a + b, 0);
  return { bytes, total, tti, requests, encodings };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

execFileSync(bin, ['db', 'recreate'], { env, stdio: 'inherit' });
const server = spawn(bin, ['serve'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
let browser;
try {
  await waitReady(server);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const first = [];
  const repeat = [];
  const home = [];
  for (let i = 0; i < RUNS; i++) {
    // A new context has an empty cache: a first visit.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    first.push(await visit(page, '/login'));
    repeat.push(await visit(page, '/login'));
    const r = await context.request.post(`${BASE}/api/login`, {
      form: { username: 'admin', password: PASSWORD },
    });
    if (!r.ok()) fail(`sign-in: ${r.status()}`);
    home.push(await visit(page, '/'));
    await context.close();
  }
  const row = (name, runs) => {
    const m = (f) => median(runs.map(f));
    return `| ${name} | ${kb(m((r) => r.total))} | ${kb(m((r) => r.bytes.wasm))} | ${kb(m((r) => r.bytes.script))} | ${kb(m((r) => r.bytes.css))} | ${kb(m((r) => r.bytes.document))} | ${m((r) => r.requests)} | ${m((r) => r.tti).toFixed(0)} ms |`;
  };
  const pkg = join(root, 'target', 'site', 'pkg');
  const hashFile = join(root, 'target', 'site', 'hash.txt');
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
  const firstTotal = median(first.map((r) => r.total));
  const out = `# First page load

Written by \`node bench/first_load.mjs\` (\`make bench\`, after the release build); do not edit by hand.

| | |
|---|---|
| Date | ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC |
| Commit | \`${commit}\` |
| Machine | ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM |
| Browser | Chromium ${browser.version()} headless, 1280×800, loopback (no network latency) |
| Server | \`target/release/switchboard serve\`, release site (\`wasm-release\` profile) |
| Site files | ${existsSync(hashFile) ? 'hashed names (' + readFileSync(hashFile, 'utf8').trim().split('\n').length + ' entries in hash.txt)' : 'plain names'} |
| Runs | ${RUNS} (medians shown) |

## Summary

| Figure | Measured | Target | Result |
|---|---|---|---|
| First visit of \`/login\`, bytes transferred | ${kb(firstTotal)} | < ${kb(GOAL_BYTES)} | **${firstTotal < GOAL_BYTES ? 'met' : 'missed'}** |
| First visit of \`/login\`, time to interactive | ${median(first.map((r) => r.tti)).toFixed(0)} ms | none set | — |
| Repeat visit of \`/login\`, bytes transferred | ${kb(median(repeat.map((r) => r.total)))} | none set | — |

## Per visit

Bytes are what crossed the wire (headers included, compressed bodies), from Chromium's network
events; time to interactive runs from the navigation's start until the wasm has hydrated the
page (\`window.__sbHydrated\`).

| Visit | Total | wasm | JS | CSS | Page | Requests | Interactive after |
|---|---|---|---|---|---|---|---|
${row('First visit, `/login` (empty cache)', first)}
${row('Repeat visit, `/login`', repeat)}
${row('Signed in, `/` (after the repeat visit)', home)}

Content encodings seen on the first visit: ${Object.entries(first[0].encodings).map(([k, v]) => `${k} ${v}`).join(', ')}.
`;
  writeFileSync(join(root, 'bench', 'results', 'first_load.md'), out);
  console.log(out);
  if (!existsSync(pkg)) fail('no target/site/pkg');
} finally {
  if (browser) await browser.close();
  server.kill('SIGTERM');
}
