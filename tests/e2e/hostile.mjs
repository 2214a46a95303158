// Shared by the hostile-input tests: the corpus of hostile text, the JSON API client that never lets a 5xx or a
// vague 4xx pass, and the Chromium check of a page that shows hostile text.
import assert from 'node:assert/strict';
import { BASE, open } from './browser.mjs';
import { waitForLink } from './mail.mjs';

/**
 * Each payload would set window.__pwned, open a dialog or break the layout if it were not escaped. `shows` is a
 * piece of it that must be on the page, as text, wherever the value is shown whole (null: only its tag is looked
 * for, because Unicode tricks read differently once laid out).
 */
export const PAYLOADS = [
  ['script tag', '<script>window.__pwned=1;alert(1)</script>', '<script>window.__pwned=1'],
  ['attribute break-out', '"><img src=x onerror="window.__pwned=1">', '"><img src=x onerror='],
  ['svg onload', "<svg/onload=window.__pwned=1>'\"`", '<svg/onload=window.__pwned=1>'],
  ['javascript link', '<a href="javascript:window.__pwned=1">bấm</a>', '<a href="javascript:'],
  ['SQL', "'; DROP TABLE ideas; -- \" OR 1=1", 'DROP TABLE ideas'],
  ['right-to-left override', 'Đèn \u202Eruoy kcab\u202C hẻm', null],
  ['zero-width', 'Đ\u200Bè\u200Cn\u200D hẻm\uFEFF', null],
  ['combining marks', 'Z\u0337\u0322\u0349a\u0335l\u0338g\u0336o hẻm tối', null],
  ['4-byte emoji', 'Đèn 🚀🧑\u200D🤝\u200D🧑 hẻm 𝕏', '🚀'],
];

/** A word too long for any line (a pasted link, a hash): the page must wrap it, not widen. */
export const LONG_WORD = ['long unbroken word', `https://vi.example.org/${'đườnghẻmtối'.repeat(16)}`, null];

/** The corpus the form tests send: the payloads and the long word. */
export const CORPUS = [...PAYLOADS, LONG_WORD];

/** A phone's width: no page may be wider. */
export const PHONE_WIDTH = 390;

/** What the hostile tests did, for their summary line. */
export const tally = { sent: 0, accepted: 0, refused: 0, pages: 0, mails: 0, feeds: 0 };

/** Counts `values` hostile values sent some other way than `send` (a form, a file), accepted or refused. */
export function counted(accepted, values = 1) {
  tally.sent += values;
  tally[accepted ? 'accepted' : 'refused'] += values;
}

/** One request to the JSON API: status, the parsed JSON (null for anything else), the text and the response. */
export async function api(method, path, body, headers = {}) {
  const raw = typeof body === 'string' || body instanceof Uint8Array;
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* a page */ }
  return { status: res.status, json, text, res };
}

/**
 * Sends hostile input to the API and checks the answer: never a 5xx; a 4xx is a clear refusal with a
 * machine-readable code and, for a refused field, that field named. `ok` lists the statuses of acceptance;
 * `values` is how many hostile values the request carries, for the tally (0 for a step that carries none: it is
 * checked all the same). Returns the answer; `accepted` tells which way it went.
 */
export async function send(label, method, path, body,
  { auth = {}, ok = [200, 201, 202, 204], field, values = 1 } = {}) {
  const r = await api(method, path, body, auth);
  assert.ok(r.status < 500, `${label}: ${method} ${path} answered ${r.status}: ${r.text.slice(0, 300)}`);
  r.accepted = ok.includes(r.status);
  counted(r.accepted, values);
  if (!r.accepted) {
    assert.ok(r.status >= 400, `${label}: ${method} ${path} answered ${r.status}`);
    assert.ok(r.json?.error?.code, `${label}: a 4xx with a machine-readable code: ${r.text.slice(0, 300)}`);
    if (field && r.json.error.code === 'validation_failed') {
      assert.ok(r.json.error.fields?.[field], `${label}: the refusal names ${field}: ${r.text.slice(0, 300)}`);
    }
  }
  return r;
}

/** Registers an account through the API and follows the emailed verification link. */
export async function registerVerified(mailDir, account) {
  const reg = await api('POST', '/api/v1/auth/register', account);
  assert.equal(reg.status, 202, `registering ${account.email}: ${reg.text}`);
  const mail = await waitForLink(mailDir, { to: account.email, pattern: /(https?:\/\/\S+\/verify\?token=[\w.~-]+)/ });
  const verified = await fetch(mail.link, { redirect: 'manual' });
  assert.ok(verified.status < 400, `verification answered ${verified.status}`);
}

/** Signs in through the API: the session cookie and its CSRF token. */
export async function apiSignIn(email, password) {
  const r = await api('POST', '/api/v1/auth/signin', { email, password });
  assert.equal(r.status, 200, `signing in ${email}: ${r.text}`);
  return { cookie: r.res.headers.get('set-cookie').split(';')[0], csrf: r.json.csrf_token };
}

/** A personal access token of the account (signed in through the API): the Authorization header to use. */
export async function bearer(email, password) {
  const { cookie, csrf } = await apiSignIn(email, password);
  const made = await api('POST', '/api/v1/me/tokens', { name: 'hostile' }, { cookie, 'x-csrf-token': csrf });
  assert.equal(made.status, 201, made.text);
  return { authorization: `Bearer ${made.json.token}` };
}

/** Signs a person in on the sign-in page of their browser context. */
export async function browserSignIn(page, email, password) {
  await open(page, '/signin');
  await page.fill('#f-email', email);
  await page.fill('#f-password', password);
  await Promise.all([page.waitForEvent('load'), page.locator('form[action="/signin"] button[type="submit"]').click()]);
  assert.ok(await page.locator('form[action="/signout"]').count(), `${email} is signed in`);
}

/** Collects what must never happen on a page: an uncaught error, a dialog (alert, confirm, prompt). */
export function watch(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error at ${page.url()}: ${e.message}`));
  page.on('dialog', async (d) => {
    problems.push(`dialog at ${page.url()}: ${d.message()}`);
    await d.dismiss();
  });
  return problems;
}

/** Elements or attributes that only exist if hostile text became markup. */
const INJECTED = 'img[src="x"], svg[onload], [onerror], [onload], main script:not([src]), a[href^="javascript:"]';

/**
 * Checks the page as it is now as a hostile reader would: no script of the text ran, nothing of the text became an
 * element, the page is no wider than a phone when it is shown on one (`width: false` for an email, which has a
 * layout of its own), and each of `expect` (values as sent: `{ tag, text, shows }`) is on the page as text or in
 * one of its form fields.
 */
export async function check(page, label, expect = [], { width = true } = {}) {
  assert.equal(await page.evaluate(() => window.__pwned), undefined, `${label}: a script ran`);
  const injected = await page.locator(INJECTED).count();
  assert.equal(injected, 0, `${label}: markup from the text became ${injected} element(s)`);
  const viewport = page.viewportSize();
  if (width && viewport && viewport.width <= PHONE_WIDTH) {
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    if (wide > PHONE_WIDTH + 1) {
      const culprit = await page.evaluate((limit) => {
        const over = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > limit);
        const deepest = over.filter((e) => !over.some((o) => o !== e && e.contains(o)));
        return deepest.slice(0, 3).map((e) => `<${e.tagName.toLowerCase()} class="${e.className}">`
          + ` ${e.textContent.trim().slice(0, 60)}`).join('; ');
      }, PHONE_WIDTH + 1);
      assert.fail(`${label}: the page is ${wide}px wide on a ${PHONE_WIDTH}px screen; too wide: ${culprit}`);
    }
  }
  if (expect.length > 0) {
    // What the page says, and what its form fields hold (a value sent back to be edited is shown there).
    const text = await page.evaluate(() => [document.body.innerText,
      ...[...document.querySelectorAll('textarea, input:not([type]), input[type="text"]')].map((e) => e.value)]
      .join('\n'));
    for (const v of expect) {
      assert.ok(text.includes(v.tag), `${label}: ${v.tag} (${v.label}) is not shown`);
      if (v.shows) {
        assert.ok(text.includes(v.shows), `${label}: ${v.label} is not shown as text (${v.shows})`);
      }
    }
  }
}

/** Checks the page the browser is on now (a form sent back, an answer that is not 200), counting it. */
export async function inspectHere(page, label, expect = []) {
  tally.pages += 1;
  await check(page, `${label} (${page.url()})`, expect);
}

/** Opens `path` (it must answer 200) and checks it (see `check`). */
export async function inspect(page, label, path, expect = []) {
  await open(page, path);
  await inspectHere(page, label, expect);
}

/** The summary line of a hostile test run. */
export function summary(what) {
  return `# ${what}: ${tally.sent} values sent (${tally.accepted} accepted, ${tally.refused} refused), `
    + `${tally.pages} pages and ${tally.mails} emails opened in Chromium, ${tally.feeds} feeds parsed`;
}
