// Lighthouse (the version pinned in package.json) against Debian's Chromium with its default mobile emulation (a
// mid-range phone on a slow 4G network, simulated) on the home page, /ideas, an idea page and /adopted; prints the
// four category scores and fails when performance or accessibility is below 95 on any of them. Then checks the
// list page's weight on the wire (at most 30 KB compressed) and that no script in its <head> blocks rendering.
// Run through lighthouse.sh, which starts the portal and sets E2E_BASE_URL and CHROME_PATH.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const BASE = process.env.E2E_BASE_URL;
const CHROME = process.env.CHROME_PATH || '/usr/lib/chromium/chromium';
const MIN = { performance: 95, accessibility: 95 };
const MAX_LIST_BYTES = 30 * 1024;
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];

if (!BASE) {
  console.error('E2E_BASE_URL is not set: run tests/e2e/lighthouse.sh');
  process.exit(2);
}

/** GET `path` asking for gzip or brotli; the bytes as sent and the decoded text. */
function get(path) {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, BASE), { headers: { 'Accept-Encoding': 'gzip, br' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const encoding = res.headers['content-encoding'] || 'identity';
        const body =
          encoding === 'gzip' ? gunzipSync(raw) : encoding === 'br' ? brotliDecompressSync(raw) : raw;
        resolve({ status: res.statusCode, encoding, wireBytes: raw.length, text: body.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The <script> tags in the document's head that block rendering (no defer, async or type=module). */
export function blockingScripts(html) {
  const head = /<head[\s>][\s\S]*?<\/head>/i.exec(html)?.[0] ?? '';
  return [...head.matchAll(/<script\b[^>]*>/gi)]
    .map((m) => m[0])
    .filter((tag) => !/\s(defer|async)(\s|=|>)/i.test(tag) && !/\stype\s*=\s*["']?module/i.test(tag))
    .filter((tag) => !/\stype\s*=\s*["']?application\/(ld\+)?json/i.test(tag));
}

async function lighthouse(url, out) {
  const bin = join(HERE, 'node_modules', '.bin', 'lighthouse');
  const flags = '--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync';
  await run(
    bin,
    [
      url,
      '--quiet',
      '--output=json',
      `--output-path=${out}`,
      `--only-categories=${CATEGORIES.join(',')}`,
      `--chrome-flags=${flags}`,
    ],
    { env: { ...process.env, CHROME_PATH: CHROME }, maxBuffer: 64 << 20 },
  );
  return JSON.parse(await readFile(out, 'utf8'));
}

const failures = [];
const list = await get('/ideas');
if (list.status !== 200) throw new Error(`/ideas answered ${list.status}`);
const idea = /<ol class="list">[\s\S]*?href="(\/ideas\/[^"?#]+)"/.exec(list.text)?.[1];
if (!idea) throw new Error('/ideas lists no idea to measure');

const pages = [
  ['home', '/'],
  ['all ideas', '/ideas'],
  ['an idea', idea],
  ['adopted ideas', '/adopted'],
];
const outDir = process.env.LIGHTHOUSE_OUT || (await mkdtemp(join(tmpdir(), 'sangtao-lighthouse-')));
const rows = [];
for (const [label, path] of pages) {
  const page = await get(path);
  if (page.status !== 200) {
    for (const category of Object.keys(MIN)) {
      failures.push(`${label} (${path}) answered ${page.status}: no ${category} score`);
    }
    rows.push([label, path, null]);
    continue;
  }
  const report = await lighthouse(new URL(path, BASE).href, join(outDir, `${label.replace(/\W+/g, '-')}.json`));
  if (report.runtimeError) {
    console.log(`${label}: Lighthouse reports: ${report.runtimeError.message}`);
  }
  const scores = Object.fromEntries(
    CATEGORIES.map((c) => [c, report.categories[c]?.score == null ? null : Math.round(report.categories[c].score * 100)]),
  );
  rows.push([label, path, scores, report]);
  for (const [category, min] of Object.entries(MIN)) {
    if (scores[category] == null || scores[category] < min) {
      const low = Object.values(report.audits)
        .filter((a) => a.score !== null && a.score < 0.9 && report.categories[category].auditRefs.some((r) => r.id === a.id && r.weight > 0))
        .map((a) => `${a.id} (${a.displayValue || a.score})`)
        .join(', ');
      failures.push(`${label}: ${category} ${scores[category]} < ${min}${low ? `; weak audits: ${low}` : ''}`);
    }
  }
}

const pad = (s, n) => String(s).padEnd(n);
console.log(`\nLighthouse ${rows.find((r) => r[3])?.[3].lighthouseVersion ?? '?'}, mobile emulation, ${BASE}`);
console.log(`${pad('page', 16)}${pad('performance', 13)}${pad('accessibility', 15)}${pad('best-practices', 16)}seo`);
for (const [label, , scores] of rows) {
  const cell = (c, n) => pad(scores ? scores[c] ?? '–' : 'not found', n);
  console.log(`${pad(label, 16)}${cell('performance', 13)}${cell('accessibility', 15)}${cell('best-practices', 16)}${cell('seo', 0)}`);
}
for (const [label, , , report] of rows.filter((r) => r[3])) {
  const a = report.audits;
  const ms = (id) => (a[id]?.numericValue != null ? `${Math.round(a[id].numericValue)} ms` : '–');
  console.log(
    `  ${label}: FCP ${ms('first-contentful-paint')}, LCP ${ms('largest-contentful-paint')}, TBT ${ms('total-blocking-time')}, ` +
      `CLS ${a['cumulative-layout-shift']?.displayValue ?? '–'}, transferred ${Math.round((a['total-byte-weight']?.numericValue ?? 0) / 102.4) / 10} KB`,
  );
}

const blocking = blockingScripts(list.text);
console.log(
  `\n/ideas on the wire: ${list.wireBytes} bytes (${list.encoding}), ${Buffer.byteLength(list.text)} decoded; ` +
    `render-blocking scripts in <head>: ${blocking.length}`,
);
if (list.encoding === 'identity') failures.push('/ideas was sent uncompressed to a client asking for gzip or br');
if (list.wireBytes > MAX_LIST_BYTES) failures.push(`/ideas transfers ${list.wireBytes} bytes > ${MAX_LIST_BYTES}`);
if (blocking.length > 0) failures.push(`/ideas has render-blocking scripts in <head>: ${blocking.join(' ')}`);
console.log(`reports: ${outDir}`);

if (failures.length > 0) {
  console.log(`\n${failures.map((f) => `FAILED: ${f}`).join('\n')}`);
}
const checks = pages.length * Object.keys(MIN).length + 3;
console.log(`lighthouse: ${checks - failures.length} passed, ${failures.length} failed`);
process.exit(failures.length > 0 ? 1 : 0);
