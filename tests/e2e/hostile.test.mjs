// Hostile input shown in a real browser: a member submits ideas whose every text field carries script injection,
// HTML, SQL, Unicode tricks (right-to-left override, zero-width characters, combining marks, 4-byte emoji) or is
// too long or holds a NUL; the API refuses what it must with a clear 400 (never a 5xx), and every page that shows
// what it accepted opens in Chromium with no script run, no dialog, no page error, and the text shown as text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, person, open, BASE } from './browser.mjs';
import { PAYLOADS, send, registerVerified, bearer, browserSignIn, inspect, watch, summary } from './hostile.mjs';

const MAIL = process.env.E2E_MAIL_DIR;
const MEMBER = { email: 'thu.doc@example.org', password: 'mật khẩu thử nghiệm dài', name: 'Thử Độc Hại' };

let browser;
let member;
/** The member's Authorization header. */
let token;
const accepted = [];

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
  await registerVerified(MAIL, {
    email: MEMBER.email, display_name: MEMBER.name, password: MEMBER.password, unit: 'phuong-7',
  });
  token = await bearer(MEMBER.email, MEMBER.password);
  browser = await launch();
  member = await person(browser, { phone: true });
  await browserSignIn(member.page, MEMBER.email, MEMBER.password);
});

after(async () => {
  await browser?.close();
});

test('the API takes hostile text as text and refuses what it must with a clear 400 or 422', async () => {
  const auth = token;
  for (let k = 0; k < PAYLOADS.length; k += 3) {
    const group = PAYLOADS.slice(k, k + 3);
    const label = group.map(([l]) => l).join(', ');
    const r = await send(label, 'POST', '/api/v1/ideas', ideaOf(group.map(([, p]) => p)),
      { auth, values: group.length });
    assert.equal(r.status, 201, `${label}: ${r.text}`);
    accepted.push([label, group[0][1], r.json.id]);
  }
  // Refused whole (nothing stored), or stored as text: never a 5xx. A draft, so the member's limit is not reached.
  // A value the document forbids is a 400; empty fields are allowed in a draft, so handing in an idea without them
  // is a well-shaped request that cannot be done: 422, naming the fields.
  for (const [label, body, field, refused] of [
    ['a NUL character', { ...idea('a\u0000b'), submit: false }, null, 422],
    ['a very long title', { ...idea('x'), submit: false, title: 'Đèn '.repeat(2000) }, 'title', 400],
    ['empty values', { ...idea(''), title: '', summary: '' }, 'title', 422],
  ]) {
    const r = await send(label, 'POST', '/api/v1/ideas', body, { auth, field });
    assert.ok(r.status === refused || r.status === 201, `${label}: ${r.status} ${r.text}`);
  }
  const health = await fetch(`${BASE}/healthz`);
  assert.equal(health.status, 200, 'the server is still up');
});

test('every page that shows the hostile ideas runs no script and shows the text as text', async () => {
  assert.ok(accepted.length > 0);
  const { page } = member;
  const problems = watch(page);
  const paths = [['my ideas', '/me/ideas'], ['all ideas', '/ideas']];
  for (const [label, payload, id] of accepted) {
    paths.push([`${label}: the idea`, `/ideas/${id}`]);
    paths.push([`${label}: my idea`, `/me/ideas/${id}`]);
    paths.push([`${label}: a search for it`, `/ideas?q=${encodeURIComponent(payload.slice(0, 100))}`]);
  }
  // No script runs, nothing becomes an element, and the layout holds: no page wider than the phone's screen.
  for (const [label, path] of paths) {
    await inspect(page, label, path);
  }
  for (const [label, payload, id] of accepted) {
    await open(page, `/ideas/${id}`);
    const title = await page.locator('h1').innerText();
    assert.ok(title.includes(payload.replace(/\s+/g, ' ').trim().slice(0, 20)) || title.startsWith('Ý tưởng'),
      `${label}: the title is shown as text: ${title}`);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
});

after(() => {
  console.log(summary('hostile ideas'));
});
