// The life of one idea through the real portal in a real Chromium, each person in their own browser context, every
// page they see checked with axe-core:
//   a member registers, verifies by the emailed link, signs in, sees similar ideas while typing, submits an idea;
//   two reviewers join the 2026 panel (one demo reviewer through "forgot password", one new person through the
//   invitation), the organizer sets the rubric, screens the idea eligible and assigns it, the reviewers score it,
//   the organizer shortlists, selects and publishes, adopts the idea and adds a milestone with a photo, and the
//   public sees it on /adopted.
// Steps run in order; a step whose prerequisite failed is skipped (the failure is reported where it happened). The
// axe results of the pages seen along the way are reported at the end, one subtest a page, so a violation fails the
// run without stopping the story.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE, launch, person, open, submit, expectNoAlert, axeViolations, describeViolations } from './browser.mjs';
import { waitForLink } from './mail.mjs';

const MAIL = process.env.E2E_MAIL_DIR;
const ADMIN = { email: process.env.E2E_ADMIN_EMAIL, password: process.env.E2E_ADMIN_PASSWORD };
const CONTEST = 'sang-tao-tre-2026';
const RUN = Date.now().toString(36);
const MEMBER = {
  email: `thanh.nien.${RUN}@example.org`,
  name: 'Lê Thị Thanh Xuân',
  password: 'mật khẩu thử nghiệm đủ dài',
};
const REVIEWER_A = { email: 'giamkhao01@example.org', password: 'giám khảo một đủ dài' };
const REVIEWER_B = { email: `giamkhao.moi.${RUN}@example.org`, name: 'Trần Văn Minh', password: 'giám khảo hai đủ dài' };
const IDEA = {
  title: 'Vạch sơn vùng chờ đón học sinh trước cổng trường trung học cơ sở',
  summary: 'Kẻ vạch sơn vùng chờ đón học sinh sát lề đường trước cổng trường, để phụ huynh không dừng xe tràn ra lòng đường.',
  situation:
    'Giờ tan học, phụ huynh dừng xe máy hai ba hàng trước cổng trường, lấn ra lòng đường và gây ùn tắc kéo dài cả trăm mét.',
  solution:
    'Phối hợp nhà trường và công an phường kẻ vạch sơn vùng chờ đón, cắm biển hướng dẫn và bố trí đoàn viên nhắc nhở trong tháng đầu.',
  impact: 'Giảm ùn tắc giờ tan học, học sinh ra cổng an toàn hơn.',
};

if (!MAIL || !ADMIN.email || !ADMIN.password) {
  throw new Error('run through tests/e2e/run.sh (it sets E2E_MAIL_DIR, E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD)');
}

let browser;
const people = {};
const done = new Set();
let ideaId = null;
/** What axe found on each page the flow looked at: [label, url, violations]. */
const looked = [];

/** Checks the page as it is now with axe-core; the verdict comes in the last tests. */
async function axe(page, label) {
  looked.push([label, page.url(), await axeViolations(page)]);
}

before(async () => {
  browser = await launch();
  people.member = await person(browser, { phone: true });
  people.organizer = await person(browser);
  people.reviewerA = await person(browser);
  people.reviewerB = await person(browser, { phone: true });
  people.public = await person(browser, { phone: true });
});

after(async () => {
  await browser?.close();
});

/** A flow step: named, run in order, skipped when a step it needs has not passed. */
function step(name, needs, fn) {
  test(name, async (t) => {
    const missing = needs.filter((n) => !done.has(n));
    if (missing.length > 0) {
      t.skip(`needs: ${missing.join(', ')}`);
      return;
    }
    await fn(t);
    done.add(name);
  });
}

async function signIn(page, who) {
  await open(page, '/signin');
  await page.fill('#f-email', who.email);
  await page.fill('#f-password', who.password);
  await submit(page, 'form[action="/signin"] button[type="submit"]');
  await expectNoAlert(page, `signing in as ${who.email}`);
  assert.ok(await page.locator('form[action="/signout"]').count(), `${who.email} is signed in`);
}

/** A small valid PNG (a 2×2 red square) written to a temporary file, for the milestone photo. */
async function photoFile() {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(2, 0);
  header.writeUInt32BE(2, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.from([0, 200, 40, 40, 200, 40, 40]);
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat([row, row]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'sangtao-e2e-'));
  const path = join(dir, 'cong-truong.png');
  await writeFile(path, png);
  return path;
}

// ---- the member -------------------------------------------------------------------------------------------------

step('member registers with the register form', [], async () => {
  const { page } = people.member;
  await open(page, '/register');
  await page.fill('#f-email', MEMBER.email);
  await page.fill('#f-display_name', MEMBER.name);
  // A ward: a district-level reviewer is in conflict only with ideas of the district unit itself.
  const ward = await page.locator('#f-unit option', { hasText: /Phường/ }).first().getAttribute('value');
  await page.selectOption('#f-unit', ward);
  await page.fill('#f-password', MEMBER.password);
  await submit(page, 'form[action="/register"] button[type="submit"]');
  await expectNoAlert(page, 'registering');
  await axe(page, 'the "check your mail" page after registering');
});

step('member verifies the email by the emailed link', ['member registers with the register form'], async () => {
  const { page } = people.member;
  const mail = await waitForLink(MAIL, { to: MEMBER.email, pattern: /(https?:\/\/\S+\/verify\?token=[\w.~-]+)/ });
  assert.ok(mail.link.startsWith(BASE), `the link points at the portal's base URL: ${mail.link}`);
  await open(page, mail.link);
  await expectNoAlert(page, 'verifying');
  await axe(page, 'the "email verified" page');
});

step('member signs in', ['member verifies the email by the emailed link'], async () => {
  await signIn(people.member.page, MEMBER);
});

step('member sees similar ideas while typing the title, then submits the idea', ['member signs in'], async () => {
  const { page } = people.member;
  await open(page, `/ideas/new?contest=${CONTEST}`);
  await axe(page, 'the empty idea form');
  const asked = page.waitForResponse((r) => r.url().includes('/api/v1/ideas/similar') && r.status() === 200);
  await page.locator('#f-title').pressSequentially(IDEA.title, { delay: 15 });
  await asked;
  const first = page.locator('#similar-results .similar-list li a').first();
  await first.waitFor({ state: 'visible' });
  const shown = await page.locator('#similar-results .similar-list li').count();
  assert.ok(shown >= 1, 'at least one similar idea is listed while typing');
  assert.match(await first.innerText(), /\S/, 'a similar idea has a title');
  await axe(page, 'the idea form with similar ideas shown');
  await page.selectOption('#f-category', { index: 1 });
  await page.fill('#f-summary', IDEA.summary);
  await page.fill('#f-situation', IDEA.situation);
  await page.fill('#f-solution', IDEA.solution);
  await page.fill('#f-impact', IDEA.impact);
  await submit(page, 'button[name="intent"][value="submit"]');
  await expectNoAlert(page, 'submitting the idea');
  const id = /\/me\/ideas\/([^/?#]+)/.exec(page.url());
  assert.ok(id, `after submitting, the member is on their idea's page (${page.url()})`);
  ideaId = id[1];
  await axe(page, "the member's idea page");
});

step('member sees the idea in "my ideas"', ['member sees similar ideas while typing the title, then submits the idea'], async () => {
  const { page } = people.member;
  await open(page, '/me/ideas');
  await page.locator('ul.cards h2 a', { hasText: IDEA.title }).waitFor();
  await axe(page, 'my ideas');
});

// ---- the organizer and the panel -------------------------------------------------------------------------------

step('organizer signs in and sets the 2026 rubric', [], async () => {
  const { page } = people.organizer;
  await signIn(page, ADMIN);
  await open(page, `/organize/contests/${CONTEST}/rubric`);
  await page.fill('#f-reviews', '2');
  const due = new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 10);
  await page.fill('#f-due', `${due}T17:00`);
  const criteria = [
    ['Tính sáng tạo', 'Ý tưởng mới ở địa phương đến đâu.', '2'],
    ['Tính khả thi', 'Làm được với nguồn lực của đơn vị không.', '1,5'],
  ];
  for (const [n, [name, description, weight]] of criteria.entries()) {
    await page.fill(`#c${n}-name`, name);
    await page.fill(`#c${n}-description`, description);
    await page.fill(`#c${n}-weight`, weight);
    await page.fill(`#c${n}-min`, '1');
    await page.fill(`#c${n}-max`, '5');
    await page.fill(`#c${n}-levels`, '1: Chưa thuyết phục\n3: Khá\n5: Rất tốt');
  }
  await submit(page, 'form.stack button[type="submit"]');
  await expectNoAlert(page, 'saving the rubric');
});

step('organizer invites two reviewers to the 2026 panel', ['organizer signs in and sets the 2026 rubric'], async () => {
  const { page } = people.organizer;
  for (const who of [REVIEWER_A, REVIEWER_B]) {
    await open(page, `/organize/contests/${CONTEST}/panel`);
    await page.fill('#f-email', who.email);
    await page.fill('#f-cap', '20');
    await submit(page, 'form.stack button[type="submit"]');
    await expectNoAlert(page, `inviting ${who.email}`);
  }
});

step('a demo reviewer sets a password by "forgot password" and accepts the invitation', ['organizer invites two reviewers to the 2026 panel'], async () => {
  const { page } = people.reviewerA;
  const since = Date.now();
  await open(page, '/password/forgot');
  await page.fill('#f-email', REVIEWER_A.email);
  await submit(page, 'form[action="/password/forgot"] button[type="submit"]');
  await expectNoAlert(page, 'asking for a reset link');
  const reset = await waitForLink(MAIL, { to: REVIEWER_A.email, pattern: /(https?:\/\/\S+\/password\/reset\?token=[\w.~-]+)/, since });
  await open(page, reset.link);
  await axe(page, 'the reset password page');
  await page.fill('#f-password', REVIEWER_A.password);
  await submit(page, 'form[action="/password/reset"] button[type="submit"]');
  await expectNoAlert(page, 'setting the new password');
  await signIn(page, REVIEWER_A);
  const invite = await waitForLink(MAIL, { to: REVIEWER_A.email, pattern: /(https?:\/\/\S+\/invitation\?token=[\w.~-]+)/ });
  await open(page, invite.link);
  await submit(page, 'form[action="/invitation/accept"] button[type="submit"]');
  await expectNoAlert(page, 'accepting the invitation');
  assert.match(page.url(), /\/review/, 'accepting leads to the reviewer dashboard');
});

step('a new reviewer joins the panel from the invitation link', ['organizer invites two reviewers to the 2026 panel'], async () => {
  const { page } = people.reviewerB;
  const invite = await waitForLink(MAIL, { to: REVIEWER_B.email, pattern: /(https?:\/\/\S+\/invitation\?token=[\w.~-]+)/ });
  await open(page, invite.link);
  await axe(page, 'the invitation page (new account)');
  await page.fill('#f-display_name', REVIEWER_B.name);
  await page.fill('#f-password', REVIEWER_B.password);
  await submit(page, 'form[action="/invitation/join"] button[type="submit"]');
  await expectNoAlert(page, 'joining from the invitation');
  assert.ok(await page.locator('form[action="/signout"]').count(), 'the new reviewer is signed in');
});

step('organizer screens the new idea eligible', ['member sees similar ideas while typing the title, then submits the idea', 'organizer signs in and sets the 2026 rubric'], async () => {
  const { page } = people.organizer;
  await open(page, `/organize/contests/${CONTEST}/screening`);
  await page.check(`#pick-${ideaId}`);
  await submit(page, 'button[name="decision"][value="eligible"]');
  await expectNoAlert(page, 'screening');
});

step('organizer assigns the idea to the two reviewers', ['organizer screens the new idea eligible', 'a demo reviewer sets a password by "forgot password" and accepts the invitation', 'a new reviewer joins the panel from the invitation link'], async () => {
  const { page } = people.organizer;
  await open(page, `/organize/contests/${CONTEST}/assignments`);
  await submit(page, 'button[name="action"][value="propose"]');
  await expectNoAlert(page, 'proposing assignments');
  const mine = page.locator('tbody', { has: page.locator('th', { hasText: IDEA.title }) });
  const rows = await mine.locator('tr').count();
  if (rows !== 2) {
    const page_text = await page.locator('main').innerText();
    assert.fail(`the proposal gives the new idea two reviewers, it gives ${rows}:\n${page_text}`);
  }
  await submit(page, 'button[name="action"][value="confirm"]');
  await expectNoAlert(page, 'confirming assignments');
});

for (const [key, who] of [['reviewerA', REVIEWER_A], ['reviewerB', REVIEWER_B]]) {
  step(`${who.email} scores the idea on the review form`, ['organizer assigns the idea to the two reviewers'], async () => {
    const { page } = people[key];
    await open(page, '/review');
    await axe(page, 'the reviewer dashboard');
    const link = page.locator('td a', { hasText: IDEA.title });
    const href = await link.getAttribute('href');
    assert.match(href, /^\/review\/assignments\/[^/]+$/, 'the dashboard links to the review form');
    await open(page, href);
    await axe(page, 'the review form');
    if (await page.locator(`form[action="${href}/accept"]`).count()) {
      await submit(page, `form[action="${href}/accept"] button[type="submit"]`);
      await expectNoAlert(page, 'accepting the assignment');
    }
    for (const fieldset of await page.locator('fieldset.criterion').all()) {
      await fieldset.locator('input[type="radio"]').last().check();
    }
    await page.locator('input[name="confidence"][value="4"]').check();
    await page.fill('#f-comment_author', 'Ý tưởng thiết thực, dễ làm; nên thử trước ở một trường rồi nhân rộng.');
    await submit(page, 'button[name="action"][value="submit"]');
    await expectNoAlert(page, 'submitting the review');
    assert.ok(await page.locator('.notice').count(), 'the form says the review was submitted');
    await axe(page, 'the review form after submitting');
  });
}

step('organizer shortlists, selects and publishes', [`${REVIEWER_A.email} scores the idea on the review form`, `${REVIEWER_B.email} scores the idea on the review form`], async () => {
  const { page } = people.organizer;
  for (const decision of ['shortlisted', 'selected']) {
    await open(page, `/organize/contests/${CONTEST}/decisions`);
    await page.selectOption(`#d-${ideaId}`, decision);
    await page.fill(`#r-${ideaId}`, 'Hai giám khảo đánh giá cao tính khả thi; chi phí thấp, làm được ngay.');
    await submit(page, `form:has(#d-${ideaId}) button[type="submit"]`);
    await expectNoAlert(page, `recording ${decision}`);
    await submit(page, 'button[name="action"][value="publish"]');
    await expectNoAlert(page, `publishing ${decision}`);
  }
  await open(page, `/ideas/${ideaId}`);
  assert.ok(await page.locator('.badge.s-selected').count(), 'the public idea page shows it selected');
});

// ---- adoption (the organizer's adoption page and the public /adopted) -------------------------------------------

const ADOPTION = () => `/organize/contests/${CONTEST}/ideas/${ideaId}/adoption`;

step('organizer adopts the idea: responsible unit, plan and dates', ['organizer shortlists, selects and publishes'], async () => {
  const { page } = people.organizer;
  await open(page, ADOPTION());
  await axe(page, 'the adoption page');
  await page.locator('select[name="unit"]').selectOption({ index: 1 });
  await page.fill('[name="plan"]', 'Thí điểm tại cổng trường THCS trên địa bàn phường trong học kỳ II, rồi nhân rộng.');
  await page.fill('[name="planned_start"]', '2027-01-04');
  await page.fill('[name="planned_end"]', '2027-05-31');
  await submit(page, 'form:has([name="plan"]) button[type="submit"]');
  await expectNoAlert(page, 'adopting');
});

step('organizer adds a milestone with a photo', ['organizer adopts the idea: responsible unit, plan and dates'], async () => {
  const { page } = people.organizer;
  await open(page, ADOPTION());
  await page.fill('[name="happened_on"]', new Date().toISOString().slice(0, 10));
  await page.fill('[name="body"]', 'Đã kẻ xong vạch sơn vùng chờ đón và cắm biển hướng dẫn trước cổng trường.');
  await page.fill('[name="progress"]', '40');
  await page.setInputFiles('input[type="file"][name="photos"]', await photoFile());
  await submit(page, 'form:has([name="happened_on"]) button[type="submit"]');
  await expectNoAlert(page, 'adding the milestone');
});

step('the public sees the idea, its progress and the milestone on /adopted', ['organizer adds a milestone with a photo'], async () => {
  const { page } = people.public;
  await open(page, '/adopted');
  const card = page.locator('li, article', { has: page.locator(`a[href="/ideas/${ideaId}"]`) }).first();
  await card.waitFor();
  assert.match(await card.innerText(), /40\s*%|Đã kẻ xong vạch sơn/, 'the card shows the progress or the latest update');
  await axe(page, '/adopted with the new idea');
  await open(page, `/ideas/${ideaId}`);
  assert.match(await page.locator('main').innerText(), /Đã kẻ xong vạch sơn/, 'the idea page shows the milestone');
  await axe(page, 'the adopted idea page with its timeline');
});

// ---- axe on every page seen above, and on the organizer's pages ------------------------------------------------

test('axe: the pages of the flow', async (t) => {
  assert.ok(looked.length > 0, 'the flow looked at some pages');
  for (const [label, url, violations] of looked) {
    await t.test(label, () => {
      if (violations.length > 0) {
        assert.fail(`axe found on ${label} (${url}):\n${describeViolations(violations)}`);
      }
    });
  }
});

test('axe: organizer pages', async (t) => {
  if (!done.has('organizer signs in and sets the 2026 rubric')) {
    t.skip('the organizer did not sign in');
    return;
  }
  const { page } = people.organizer;
  const pages = [
    ['contests of my unit', '/organize/contests'],
    ['contest settings', `/organize/contests/${CONTEST}/edit`],
    ['screening queue', `/organize/contests/${CONTEST}/screening`],
    ['rubric', `/organize/contests/${CONTEST}/rubric`],
    ['panel', `/organize/contests/${CONTEST}/panel`],
    ['assignments', `/organize/contests/${CONTEST}/assignments`],
    ['conflicts of interest', `/organize/contests/${CONTEST}/conflicts`],
    ['decisions', `/organize/contests/${CONTEST}/decisions`],
    ['results (2021)', '/organize/contests/sang-tao-tre-2021/results'],
    ['adoption tracking (2021)', '/organize/contests/sang-tao-tre-2021/adoption'],
    ['adoption tracking (2026)', `/organize/contests/${CONTEST}/adoption`],
    ['near-duplicates', `/organize/contests/${CONTEST}/duplicates`],
    ['audit log', `/organize/contests/${CONTEST}/audit`],
    ['import', `/organize/contests/${CONTEST}/import`],
    ['users', '/admin/users'],
    ['outgoing mail', '/admin/mail'],
  ];
  for (const [label, path] of pages) {
    await t.test(label, async () => {
      await open(page, path);
      const violations = await axeViolations(page);
      if (violations.length > 0) {
        assert.fail(`axe found on the organizer's ${label} (${path}):\n${describeViolations(violations)}`);
      }
    });
  }
});
