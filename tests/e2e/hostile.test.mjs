// Hostile input shown in a real browser: a member submits ideas whose every text field carries script injection,
// HTML, SQL, Unicode tricks (right-to-left override, zero-width characters, combining marks, 4-byte emoji) or is
// too long or holds a NUL; the API refuses what it must with a clear 400 (never a 5xx), and every page that shows
// what it accepted opens in Chromium with no script run, no dialog, no page error, and the text shown as text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, person, open, submit, BASE } from './browser.mjs';
import { waitForLink } from './mail.mjs';

const MAIL = process.env.E2E_MAIL_DIR;
const MEMBER = { email: 'thu.doc@example.org', password: 'mật khẩu thử nghiệm dài', name: 'Thử Độc Hại' };

// Each payload would set window.__pwned, open a dialog or break the layout if it were not escaped.
const PAYLOADS = [
  ['script tag', '<script>window.__pwned=1;alert(1)</script>'],
  ['attribute break-out', '"><img src=x onerror="window.__pwned=1">'],
  ['svg onload', "<svg/onload=window.__pwned=1>'\"`"],
  ['javascript link', '<a href="javascript:window.__pwned=1">bấm</a>'],
  ['SQL', "'; DROP TABLE ideas; -- \" OR 1=1"],
  ['right-to-left override', 'Đèn \u202Eruoy kcab\u202C hẻm'],
  ['zero-width', 'Đ\u200Bè\u200Cn\u200D hẻm\uFEFF'],
  ['combining marks', 'Z\u0337\u0322\u0349a\u0335l\u0338g\u0336o hẻm tối'],
  ['4-byte emoji', 'Đèn 🚀🧑\u200D🤝\u200D🧑 hẻm 𝕏'],
];

let browser;
let member;
let token;
const accepted = [];

async function api(method, path, body, headers = {}) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* a page */ }
  return { status: res.status, json, text, res };
}

const PAD = 'Đặt đèn năng lượng mặt trời ở các hẻm tối của phường, do đoàn viên lắp và bảo trì. ';

/** An idea carrying `payload` in every text field. */
function idea(payload) {
  return {
    contest: 'sang-tao-tre-2026', category: 'van-minh-do-thi', submit: true,
    title: `Ý tưởng ${payload}`.slice(0, 150),
    summary: PAD + payload, situation: PAD + payload, solution: PAD + payload, impact: PAD + payload,
    resources: payload, applies_where: payload,
  };
}

/** An idea carrying three payloads (a member may submit only a few ideas): one in the title, each in its own field,
 * all three in the rest. */
function ideaOf([a, b, c]) {
  const all = `${a} ${b} ${c}`;
  return {
    contest: 'sang-tao-tre-2026', category: 'van-minh-do-thi', submit: true,
    title: `Ý tưởng ${a}`.slice(0, 150),
    summary: PAD + b, situation: PAD + c, solution: PAD + all, impact: PAD + all, resources: all, applies_where: b,
  };
}

before(async () => {
  assert.ok(MAIL, 'run through tests/e2e/run.sh');
  const reg = await api('POST', '/api/v1/auth/register', {
    email: MEMBER.email, display_name: MEMBER.name, password: MEMBER.password, unit: 'phuong-7',
  });
  assert.equal(reg.status, 202, reg.text);
  const mail = await waitForLink(MAIL, { to: MEMBER.email, pattern: /(https?:\/\/\S+\/verify\?token=[\w.~-]+)/ });
  const verified = await fetch(mail.link, { redirect: 'manual' });
  assert.ok(verified.status < 400, `verification answered ${verified.status}`);
  const signin = await api('POST', '/api/v1/auth/signin', { email: MEMBER.email, password: MEMBER.password });
  assert.equal(signin.status, 200, signin.text);
  const cookie = signin.res.headers.get('set-cookie').split(';')[0];
  const made = await api('POST', '/api/v1/me/tokens', { name: 'hostile' },
    { cookie, 'x-csrf-token': signin.json.csrf_token });
  assert.equal(made.status, 201, made.text);
  token = made.json.token;
  browser = await launch();
  member = await person(browser, { phone: true });
  await open(member.page, '/signin');
  await member.page.fill('#f-email', MEMBER.email);
  await member.page.fill('#f-password', MEMBER.password);
  await submit(member.page, 'form[action="/signin"] button[type="submit"]');
  assert.ok(await member.page.locator('form[action="/signout"]').count(), 'the member is signed in');
});

after(async () => {
  await browser?.close();
});

test('the API takes hostile text as text and refuses what it must with a clear 400', async () => {
  const auth = { authorization: `Bearer ${token}` };
  for (let k = 0; k < PAYLOADS.length; k += 3) {
    const group = PAYLOADS.slice(k, k + 3);
    const r = await api('POST', '/api/v1/ideas', ideaOf(group.map(([, p]) => p)), auth);
    const label = group.map(([l]) => l).join(', ');
    assert.equal(r.status, 201, `${label}: ${r.text}`);
    accepted.push([label, group[0][1], r.json.id]);
  }
  // Refused whole (nothing stored), or stored as text: never a 5xx. A draft, so the member's limit is not reached.
  for (const [label, body, field] of [
    ['a NUL character', { ...idea('a\u0000b'), submit: false }, null],
    ['a very long title', { ...idea('x'), submit: false, title: 'Đèn '.repeat(2000) }, 'title'],
    ['empty values', { ...idea(''), title: '', summary: '' }, 'title'],
  ]) {
    const r = await api('POST', '/api/v1/ideas', body, auth);
    assert.ok(r.status === 400 || r.status === 201, `${label}: ${r.status} ${r.text}`);
    if (r.status === 400) {
      assert.ok(r.json?.error?.code, `${label}: a machine-readable code`);
      if (field) assert.ok(r.json.error.fields[field], `${label}: names ${field}: ${r.text}`);
    }
  }
  const health = await fetch(`${BASE}/healthz`);
  assert.equal(health.status, 200, 'the server is still up');
});

test('every page that shows the hostile ideas runs no script and shows the text as text', async () => {
  assert.ok(accepted.length > 0);
  const { page } = member;
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', async (d) => { problems.push(`dialog: ${d.message()}`); await d.dismiss(); });
  const paths = [['my ideas', '/me/ideas'], ['all ideas', '/ideas']];
  for (const [label, payload, id] of accepted) {
    paths.push([`${label}: the idea`, `/ideas/${id}`]);
    paths.push([`${label}: my idea`, `/me/ideas/${id}`]);
    paths.push([`${label}: a search for it`, `/ideas?q=${encodeURIComponent(payload.slice(0, 100))}`]);
  }
  for (const [label, path] of paths) {
    await open(page, path);
    const pwned = await page.evaluate(() => window.__pwned);
    assert.equal(pwned, undefined, `${label}: a script ran`);
    // The layout holds: the page is no wider than the phone's screen (text wraps, nothing pushes it sideways).
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390 + 1, `${label}: the page is ${width}px wide on a 390px screen`);
  }
  for (const [label, payload, id] of accepted) {
    await open(page, `/ideas/${id}`);
    const title = await page.locator('h1').innerText();
    assert.ok(title.includes(payload.replace(/\s+/g, ' ').trim().slice(0, 20)) || title.startsWith('Ý tưởng'),
      `${label}: the title is shown as text: ${title}`);
    const injected = await page.locator('main img[src="x"], main svg[onload], main script:not([src])').count();
    assert.equal(injected, 0, `${label}: markup from the text became elements`);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
});
