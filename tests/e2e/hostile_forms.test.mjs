// Hostile input in every other text field a person can send, through the API body (and the HTML form where that is
// cheap), then every page that shows it opened in Chromium on a phone: registration and invitation names, token
// names, contests (title, description, rules, new categories) from the API and the form, rubric criteria and their
// levels, screening reasons, review comments, decline and recusal reasons, declared conflicts, decision rationales,
// adoption plans, milestones (API and form) and the reason to discontinue, an attachment's file name, a CSV file's
// name, headers and cells (API and the import page), query parameters; and the emails that carry them. Every value
// is answered 2xx or a clear 4xx naming the field (never a 5xx); what was accepted is shown as text; no script runs,
// no dialog opens, no page error, no page is wider than the phone. The feeds and open data stay well-formed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, person, open, submit } from './browser.mjs';
import { waitForLink, messagesTo, messageHtml } from './mail.mjs';
import {
  CORPUS, api, send, registerVerified, apiSignIn, bearer, browserSignIn, inspect, inspectHere, check, watch, tally,
  counted, summary,
} from './hostile.mjs';

const MAIL = process.env.E2E_MAIL_DIR;
const ADMIN = { email: process.env.E2E_ADMIN_EMAIL, password: process.env.E2E_ADMIN_PASSWORD };
const RUN = Date.now().toString(36);
const SLUG = `hx-${RUN}`;
const PASSWORD = 'mật khẩu thử nghiệm dài';
const CATEGORY = 'van-minh-do-thi';
const PAD = 'Đặt đèn năng lượng mặt trời ở các hẻm tối của phường, do đoàn viên lắp và bảo trì. ';

if (!MAIL || !ADMIN.email || !ADMIN.password) {
  throw new Error('run through tests/e2e/run.sh (it sets E2E_MAIL_DIR, E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD)');
}

let count = 0;
/**
 * A hostile value for `field`: a tag that is unique in the run (to find the value on pages) and the payload, cut
 * to `max` characters (code points, so no emoji is split).
 */
function hostile(field, [label, text, shows], max = Infinity) {
  count += 1;
  const tag = `HX${count}${field}`;
  const full = Array.from(`${tag} ${text}`).slice(0, max).join('');
  return { tag, text: full, label: `${field}: ${label}`, shows: shows && full.includes(shows) ? shows : null };
}

/** One value for each of the corpus, for `field`. */
const each = (field, max) => CORPUS.map((p) => hostile(field, p, max));

/** Local time in Vietnam, `days` from now, as a `datetime-local` field sends it. */
function vnTime(days) {
  return new Date(Date.now() + days * 86400e3 + 7 * 3600e3).toISOString().slice(0, 16);
}
const today = () => vnTime(0).slice(0, 10);

let browser;
const people = {};
const auth = {};
/** Values accepted, by where they are expected: the pages check them. */
const shown = {};
const expect = (key, ...values) => (shown[key] ||= []).push(...values.flat());
/** The values expected at `key` (none if the step that sends them failed: it reports that itself). */
const seen = (key) => shown[key] || [];
const ideas = [];
const extraContests = [];
let importReport;

before(async () => {
  browser = await launch();
  for (const who of ['public', 'member', 'reviewer', 'admin']) {
    people[who] = await person(browser, { phone: true });
    people[who].problems = watch(people[who].page);
  }
  auth.admin = await bearer(ADMIN.email, ADMIN.password);
});

after(async () => {
  await browser?.close();
  console.log(summary('hostile forms'));
});

// ---- accounts ----------------------------------------------------------------------------------------------------

const NAMES = each('name', 80);
const MEMBER = {
  email: `thu.doc.${RUN}@example.org`, display_name: NAMES[0].text, password: PASSWORD, unit: 'phuong-7',
};

test('registration takes hostile display names as text and refuses bad ones naming the field', async () => {
  // A few accounts (registration is limited per address and hour); the other names come through invitations.
  await registerVerified(MAIL, MEMBER);
  counted(true);
  for (const [k, name] of NAMES.slice(1, 3).entries()) {
    const r = await send(name.label, 'POST', '/api/v1/auth/register', {
      email: `ten.doc.${k}.${RUN}@example.org`, display_name: name.text, password: PASSWORD, unit: 'phuong-3',
    }, { ok: [202], field: 'display_name' });
    assert.ok(r.accepted, `${name.label}: ${r.text}`);
  }
  expect('users', NAMES.slice(0, 3));
  for (const [label, display_name] of [
    ['a very long name', `${NAMES[0].text} ${'Đèn '.repeat(40)}`],
    ['an empty name', ''],
    ['a name of one letter', 'Đ'],
  ]) {
    const r = await send(label, 'POST', '/api/v1/auth/register', {
      email: `tu.choi.${RUN}@example.org`, display_name, password: PASSWORD, unit: 'phuong-3',
    }, { ok: [], field: 'display_name' });
    assert.equal(r.status, 400, `${label}: ${r.text}`);
  }
  // The form: a refused name comes back in the field as typed, with the error; an accepted one registers.
  const { page } = people.public;
  const long = `${NAMES[3].text} ${'Đèn '.repeat(40)}`;
  await open(page, '/register');
  await page.fill('#f-email', `mau.don.${RUN}@example.org`);
  await page.fill('#f-display_name', long);
  await page.selectOption('#f-unit', 'phuong-4');
  await page.fill('#f-password', PASSWORD);
  await submit(page, 'form[action="/register"] button[type="submit"]');
  counted(false);
  assert.ok(await page.locator('#e-display_name').count(), 'the form names the display name');
  assert.equal(await page.inputValue('#f-display_name'), long, 'the refused name is kept as typed');
  await inspectHere(page, 'the register form with a refused name');
  await open(page, '/register');
  await page.fill('#f-email', `mau.don.${RUN}@example.org`);
  await page.fill('#f-display_name', NAMES[3].text);
  await page.selectOption('#f-unit', 'phuong-4');
  await page.fill('#f-password', PASSWORD);
  await submit(page, 'form[action="/register"] button[type="submit"]');
  counted(true);
  assert.equal(await page.locator('#e-display_name, [role="alert"]').count(), 0, 'the form registers the name');
  expect('users', NAMES[3]);
  auth.member = await bearer(MEMBER.email, MEMBER.password);
  await browserSignIn(people.member.page, MEMBER.email, MEMBER.password);
  await browserSignIn(people.admin.page, ADMIN.email, ADMIN.password);
});

test('token names are taken as text and refused naming the field when too long', async () => {
  const { cookie, csrf } = await apiSignIn(MEMBER.email, MEMBER.password);
  const session = { cookie, 'x-csrf-token': csrf };
  const names = each('token', 80);
  for (const name of names) {
    const r = await send(name.label, 'POST', '/api/v1/me/tokens', { name: name.text },
      { auth: session, field: 'name' });
    assert.ok(r.accepted, `${name.label}: ${r.text}`);
  }
  expect('profile', NAMES[0], names);
  for (const [label, name] of [['a very long token name', 'Đèn '.repeat(30)], ['an empty token name', '']]) {
    const r = await send(label, 'POST', '/api/v1/me/tokens', { name }, { auth: session, ok: [], field: 'name' });
    assert.equal(r.status, 400, r.text);
  }
});

// ---- contests ----------------------------------------------------------------------------------------------------

const TITLES = each('ctitle', 150);
const DESCRIPTIONS = each('cdesc');
const RULES = each('crules');
const NEW_CATEGORIES = CORPUS.slice(0, 4).map((p) => [hostile('catvi', p, 80), hostile('caten', p, 80)]);

function contest(slug, title, extra = {}) {
  return {
    title, slug, unit: 'quan-10',
    description: DESCRIPTIONS.map((v) => v.text).join('\n\n'),
    rules: RULES.map((v) => v.text).join('\n'),
    opens_at: vnTime(-1), closes_at: vnTime(30), max_ideas_per_member: 50,
    ideas_public: true, blind_review: false, categories: [CATEGORY], new_categories: '', ...extra,
  };
}

test('contests take hostile titles, descriptions, rules and new categories, from the API and the form', async () => {
  const main = contest(SLUG, TITLES[0].text, {
    new_categories: NEW_CATEGORIES.map(([vi, en]) => `${vi.text} | ${en.text}`).join('\n'),
  });
  const r = await send(TITLES[0].label, 'POST', '/api/v1/contests', main,
    { auth: auth.admin, values: 1 + DESCRIPTIONS.length + RULES.length + 2 * NEW_CATEGORIES.length });
  assert.equal(r.status, 201, r.text);
  expect('contest', TITLES[0], DESCRIPTIONS, RULES, NEW_CATEGORIES.map(([vi]) => vi));
  expect('contests', TITLES[0]);
  // Replaced whole (PATCH), with the same values: a second path through the same checks.
  const categories = r.json.categories.map((c) => c.slug);
  assert.equal(categories.length, 1 + NEW_CATEGORIES.length, `the new categories are made: ${r.text}`);
  const again = await send(`${TITLES[0].label} (edited)`, 'PATCH', `/api/v1/contests/${SLUG}`,
    { ...main, categories, new_categories: '' }, { auth: auth.admin, values: 1 + DESCRIPTIONS.length + RULES.length });
  assert.equal(again.status, 200, again.text);
  for (const [k, title] of TITLES.slice(1, -1).entries()) {
    const slug = `${SLUG}-${k + 1}`;
    const made = await send(title.label, 'POST', '/api/v1/contests', contest(slug, title.text),
      { auth: auth.admin, values: 1 + DESCRIPTIONS.length + RULES.length });
    assert.equal(made.status, 201, made.text);
    extraContests.push([slug, title]);
    expect('contests', title);
  }
  for (const [label, body, field] of [
    ['a very long title', contest(`${SLUG}-dai`, `${TITLES[0].text} ${'Đèn '.repeat(50)}`), 'title'],
    ['an empty title', contest(`${SLUG}-rong`, ''), 'title'],
    ['a hostile slug', contest('<script>alert(1)</script>', TITLES[1].text), 'slug'],
    ['a very long description', { ...contest(`${SLUG}-mo-ta`, TITLES[1].text), description: 'Đèn '.repeat(1300) },
      'description'],
  ]) {
    const refused = await send(label, 'POST', '/api/v1/contests', body, { auth: auth.admin, ok: [], field });
    assert.equal(refused.status, 400, `${label}: ${refused.text}`);
  }
  // The form: the last title (the long word), created from the page; a refused one is kept as typed.
  const { page } = people.admin;
  const title = TITLES.at(-1);
  const fill = async (slug, text) => {
    await open(page, '/organize/contests/new');
    await page.fill('#f-title', text);
    await page.fill('#f-slug', slug);
    await page.fill('#f-opens_at', vnTime(-1));
    await page.fill('#f-closes_at', vnTime(30));
    await page.fill('#f-max_ideas_per_member', '5');
    await page.fill('#f-description', DESCRIPTIONS.at(-1).text);
    await page.fill('#f-rules', RULES.at(-1).text);
    await page.locator(`input[name="categories"][value="${CATEGORY}"]`).check();
    await submit(page, 'form.stack button[type="submit"]');
  };
  const tooLong = `${title.text} ${'Đèn '.repeat(50)}`;
  await fill(`${SLUG}-mau-dai`, tooLong);
  counted(false);
  assert.ok(await page.locator('#e-title').count(), 'the form names the title');
  assert.equal(await page.inputValue('#f-title'), tooLong, 'the refused title is kept as typed');
  await inspectHere(page, 'the contest form with a refused title');
  await fill(`${SLUG}-mau`, title.text);
  counted(true, 3);
  assert.equal(await page.locator('#e-title, .field.invalid').count(), 0, 'the form creates the contest');
  extraContests.push([`${SLUG}-mau`, title]);
  expect('contests', title);
});

// ---- the rubric, the member's ideas, screening -------------------------------------------------------------------

const CRITERIA = each('crit', 120);
const CRITERIA_TEXT = each('critd', 2000);
const LEVELS = each('level', 500);

test('rubric criteria and levels take hostile names and descriptions', async () => {
  const criteria = CRITERIA.map((name, k) => ({
    name: name.text, description: CRITERIA_TEXT[k].text, weight: 1, min_score: 1, max_score: 3,
    levels: [{ score: 1, text: LEVELS[k].text }, { score: 3, text: 'Rất tốt' }],
  }));
  const path = `/api/v1/contests/${SLUG}/rubric`;
  for (const [label, bad] of [
    ['a very long criterion name', { ...criteria[0], name: 'Đèn '.repeat(40) }],
    ['an empty criterion name', { ...criteria[0], name: '' }],
  ]) {
    const r = await send(label, 'PUT', path, { reviews_per_idea: 1, criteria: [bad] }, { auth: auth.admin, ok: [] });
    assert.equal(r.status, 400, `${label}: ${r.text}`);
    assert.ok(JSON.stringify(r.json.error.fields).includes('name'), `${label}: names the field: ${r.text}`);
  }
  const r = await send('the hostile rubric', 'PUT', path, { reviews_per_idea: 1, due_at: '', criteria },
    { auth: auth.admin, values: CRITERIA.length + CRITERIA_TEXT.length + LEVELS.length });
  assert.ok(r.accepted, r.text);
  expect('rubric', CRITERIA, CRITERIA_TEXT, LEVELS);
  expect('review form', CRITERIA, CRITERIA_TEXT, LEVELS);
});

const IDEA_TITLES = [1, 2, 3, 4, 5].map((k) => `Đèn hẻm thử độc số ${k} cho khu phố`);
const SCREEN_REASONS = [hostile('screen', CORPUS[0], 2000), hostile('screen', CORPUS[5], 2000)];

test('the member submits ideas and the organizer screens them with hostile reasons', async () => {
  for (const title of IDEA_TITLES) {
    const r = await send(title, 'POST', '/api/v1/ideas', {
      contest: SLUG, category: CATEGORY, submit: true, title,
      summary: PAD, situation: PAD, solution: PAD, impact: PAD,
    }, { auth: auth.member, ok: [201], values: 0 });
    assert.equal(r.status, 201, r.text);
    ideas.push(r.json.id);
  }
  const coauthor = await send('a hostile co-author email', 'POST', `/api/v1/ideas/${ideas[0]}/coauthors`,
    { email: '"><script>alert(1)</script>@example.org' }, { auth: auth.member, ok: [], field: 'email' });
  assert.equal(coauthor.status, 400, coauthor.text);
  const path = `/api/v1/contests/${SLUG}/screening`;
  const eligible = await send(SCREEN_REASONS[0].label, 'POST', path,
    { ids: ideas.slice(0, 4), decision: 'eligible', reason: SCREEN_REASONS[0].text }, { auth: auth.admin });
  assert.equal(eligible.status, 200, eligible.text);
  const long = await send('a very long screening reason', 'POST', path,
    { ids: [ideas[4]], decision: 'ineligible', reason: 'Đèn '.repeat(600) },
    { auth: auth.admin, ok: [], field: 'reason' });
  assert.equal(long.status, 400, long.text);
  const ineligible = await send(SCREEN_REASONS[1].label, 'POST', path,
    { ids: [ideas[4]], decision: 'ineligible', reason: SCREEN_REASONS[1].text }, { auth: auth.admin });
  assert.equal(ineligible.status, 200, ineligible.text);
  expect('my idea 4', SCREEN_REASONS[1]);
  for (const k of [0, 1, 2, 3]) expect(`my idea ${k}`, SCREEN_REASONS[0]);
});

// ---- the panel: invited people join with hostile names, review, decline, recuse, declare -------------------------

const REVIEWERS = NAMES.slice(4).map((name, k) => ({
  email: `giam.khao.doc.${k}.${RUN}@example.org`, name, password: PASSWORD, unit: `phuong-${k + 8}`,
}));
// The one who reviews in the browser: the long unbroken name, shown in the header of every page they open.
const REVIEWER = REVIEWERS.at(-1);
const assignments = {};

test('invited reviewers join with hostile display names; bad ones are refused naming the field', async () => {
  for (const who of REVIEWERS) {
    const r = await send(`inviting ${who.email}`, 'POST', `/api/v1/contests/${SLUG}/panel`,
      { email: who.email, cap: 20 }, { auth: auth.admin, ok: [201], values: 0 });
    assert.equal(r.status, 201, r.text);
  }
  const bad = await send('a hostile invitation email', 'POST', `/api/v1/contests/${SLUG}/panel`,
    { email: '<img src=x onerror=alert(1)>@example.org', cap: 20 }, { auth: auth.admin, ok: [], field: 'email' });
  assert.equal(bad.status, 400, bad.text);
  for (const [k, who] of REVIEWERS.entries()) {
    const invite = await waitForLink(MAIL, { to: who.email, pattern: /(https?:\/\/\S+\/invitation\?token=[\w.~-]+)/ });
    const token = new URL(invite.link).searchParams.get('token');
    const join = { token, display_name: who.name.text, password: PASSWORD, unit: who.unit };
    if (k === 0) {
      for (const [label, display_name] of [
        ['a very long name', `${who.name.text} ${'Đèn '.repeat(40)}`], ['an empty name', ''],
      ]) {
        const r = await send(label, 'POST', '/api/v1/invitations/join', { ...join, display_name },
          { ok: [], field: 'display_name' });
        assert.equal(r.status, 400, `${label}: ${r.text}`);
      }
    }
    const r = await send(who.name.label, 'POST', '/api/v1/invitations/join', join,
      { ok: [201], field: 'display_name' });
    assert.equal(r.status, 201, r.text);
  }
  expect('users', REVIEWERS.map((r) => r.name));
  expect('panel', REVIEWERS.map((r) => r.name));
  auth.reviewer = await bearer(REVIEWER.email, PASSWORD);
  await browserSignIn(people.reviewer.page, REVIEWER.email, PASSWORD);
});

const COMMENTS_AUTHOR = each('cauthor', 5000);
const COMMENTS_PANEL = each('cpanel', 5000);
const DECLINE = hostile('decline', CORPUS[2], 2000);
const RECUSE = hostile('recuse', CORPUS[3], 2000);
const CONFLICT = hostile('conflict', CORPUS[6], 2000);

test('reviews, declines, recusals and declared conflicts take hostile text', async () => {
  const panel = await api('GET', `/api/v1/contests/${SLUG}/panel`, undefined, auth.admin);
  assert.equal(panel.status, 200, panel.text);
  const reviewer = panel.json.reviewers.find((r) => r.email === REVIEWER.email);
  assert.ok(reviewer, `the reviewer is on the panel: ${panel.text}`);
  for (const idea of ideas.slice(0, 4)) {
    const r = await send('assigning', 'POST', `/api/v1/contests/${SLUG}/assignments`,
      { idea_id: idea, reviewer_id: reviewer.user_id }, { auth: auth.admin, ok: [200, 201], values: 0 });
    assert.ok(r.accepted, r.text);
  }
  const confirmed = await send('confirming', 'POST', `/api/v1/contests/${SLUG}/assignments/confirm`, {},
    { auth: auth.admin, values: 0 });
  assert.ok(confirmed.accepted, confirmed.text);
  const mine = await api('GET', '/api/v1/me/assignments', undefined, auth.reviewer);
  assert.equal(mine.status, 200, mine.text);
  for (const a of mine.json.assignments) {
    const k = IDEA_TITLES.indexOf(a.idea_title);
    if (k >= 0) assignments[ideas[k]] = a.id;
  }
  assert.ok(ideas.slice(0, 4).every((i) => assignments[i]), `every idea is assigned: ${mine.text}`);
  // The first two ideas: accepted and scored, every comment hostile (half of them each).
  for (const [k, idea] of ideas.slice(0, 2).entries()) {
    const id = assignments[idea];
    const accepted = await send('accepting', 'POST', `/api/v1/assignments/${id}/accept`, {},
      { auth: auth.reviewer, values: 0 });
    assert.ok(accepted.accepted, accepted.text);
    const form = await api('GET', `/api/v1/assignments/${id}`, undefined, auth.reviewer);
    assert.equal(form.status, 200, form.text);
    const scores = Object.fromEntries(form.json.criteria.map((c) => [c.id, 3]));
    const half = (list) => list.filter((_, n) => n % 2 === k).map((v) => v.text).join('\n');
    if (k === 0) {
      const long = await send('a very long comment', 'PUT', `/api/v1/assignments/${id}/review`,
        { scores, confidence: 4, comment_author: 'Đèn '.repeat(1300), comment_panel: '', submit: false },
        { auth: auth.reviewer, ok: [], field: 'comment_author' });
      assert.equal(long.status, 400, long.text);
    }
    const r = await send(`review ${k + 1}`, 'PUT', `/api/v1/assignments/${id}/review`, {
      scores, confidence: 4, comment_author: half(COMMENTS_AUTHOR), comment_panel: half(COMMENTS_PANEL), submit: true,
    }, { auth: auth.reviewer, field: 'comment_author', values: COMMENTS_AUTHOR.length });
    assert.ok(r.accepted, r.text);
    expect(`review ${k}`, COMMENTS_AUTHOR.filter((_, n) => n % 2 === k), COMMENTS_PANEL.filter((_, n) => n % 2 === k));
  }
  const declined = await send(DECLINE.label, 'POST', `/api/v1/assignments/${assignments[ideas[2]]}/decline`,
    { reason: DECLINE.text }, { auth: auth.reviewer, field: 'reason' });
  assert.ok(declined.accepted, declined.text);
  const recused = await send(RECUSE.label, 'POST', `/api/v1/assignments/${assignments[ideas[3]]}/recuse`,
    { kind: 'other', reason: RECUSE.text }, { auth: auth.reviewer, field: 'reason' });
  assert.ok(recused.accepted, recused.text);
  const other = await bearer(REVIEWERS[1].email, PASSWORD);
  const declared = await send(CONFLICT.label, 'POST', `/api/v1/contests/${SLUG}/conflicts`,
    { idea_id: ideas[0], kind: 'family', reason: CONFLICT.text }, { auth: other, ok: [200, 201], field: 'reason' });
  assert.ok(declared.accepted, declared.text);
  expect('conflicts', RECUSE, CONFLICT);
});

// ---- decisions and adoption --------------------------------------------------------------------------------------

const RATIONALES = each('why', 2000);
const PLANS = [hostile('plan', CORPUS[1], 4000), hostile('plan', CORPUS[4], 4000)];
const MILESTONE = hostile('milestone', CORPUS[0], 4000);
const DISCONTINUED = hostile('stopped', CORPUS[7], 2000);

test('decisions, adoption plans, milestones and the reason to stop take hostile text', async () => {
  const path = `/api/v1/contests/${SLUG}/decisions`;
  const long = await send('a very long rationale', 'POST', path,
    { idea_id: ideas[0], decision: 'shortlisted', rationale: 'Đèn '.repeat(600) },
    { auth: auth.admin, ok: [], field: 'rationale' });
  assert.equal(long.status, 400, long.text);
  let n = 0;
  for (const decision of ['shortlisted', 'selected']) {
    for (const idea of ideas.slice(0, 2)) {
      const why = RATIONALES[n % RATIONALES.length];
      n += 1;
      const r = await send(why.label, 'POST', path, { idea_id: idea, decision, rationale: why.text },
        { auth: auth.admin, ok: [200, 201], field: 'rationale' });
      assert.ok(r.accepted, r.text);
      expect(`my idea ${ideas.indexOf(idea)}`, why);
    }
    const published = await send('publishing', 'POST', `${path}/publish`, {}, { auth: auth.admin, values: 0 });
    assert.ok(published.accepted, published.text);
  }
  for (const [k, idea] of ideas.slice(0, 2).entries()) {
    const adoption = `/api/v1/contests/${SLUG}/ideas/${idea}/adoption`;
    const plan = { unit: 'phuong-7', plan: PLANS[k].text, planned_start: today(), planned_end: '2027-12-31' };
    if (k === 0) {
      const bad = await send('a very long plan', 'PUT', adoption, { ...plan, plan: 'Đèn '.repeat(1100) },
        { auth: auth.admin, ok: [], field: 'plan' });
      assert.equal(bad.status, 400, bad.text);
    }
    const r = await send(PLANS[k].label, 'PUT', adoption, plan, { auth: auth.admin, field: 'plan' });
    assert.ok(r.accepted, r.text);
  }
  const milestones = `/api/v1/contests/${SLUG}/ideas/${ideas[0]}/milestones`;
  const empty = await send('an empty milestone', 'POST', milestones, { happened_on: today(), body: '', progress: 40 },
    { auth: auth.admin, ok: [], field: 'body' });
  assert.equal(empty.status, 400, empty.text);
  const m = await send(MILESTONE.label, 'POST', milestones,
    { happened_on: today(), body: MILESTONE.text, progress: 40 },
    { auth: auth.admin, field: 'body' });
  assert.ok(m.accepted, m.text);
  const finish = `/api/v1/contests/${SLUG}/ideas/${ideas[1]}/adoption/finish`;
  const stopped = await send(DISCONTINUED.label, 'POST', finish, { outcome: 'discontinued', reason: DISCONTINUED.text },
    { auth: auth.admin, field: 'reason' });
  assert.ok(stopped.accepted, stopped.text);
  expect('adopted idea', PLANS[0], MILESTONE);
  shown['latest milestone'] = [MILESTONE];
  expect('discontinued idea', PLANS[1], DISCONTINUED);
  expect('my idea 0', MILESTONE);
  expect('my idea 1', DISCONTINUED);
});

const MILESTONE_FORM = hostile('mform', CORPUS[2], 4000);

test('the milestone form keeps a refused text as typed and shows an accepted one as text', async () => {
  const { page } = people.admin;
  const adoption = `/organize/contests/${SLUG}/ideas/${ideas[0]}/adoption`;
  const post = async (body) => {
    await open(page, adoption);
    await page.fill('[name="happened_on"]', today());
    await page.fill('[name="body"]', body);
    await page.fill('[name="progress"]', '60');
    await submit(page, 'form:has([name="happened_on"]) button[type="submit"]');
  };
  const short = 'Đèn <b>';
  await post(short);
  counted(false);
  assert.ok(await page.locator('#e-body').count(), 'the form names the text');
  assert.equal(await page.inputValue('#f-body'), short, 'the refused text is kept as typed');
  await inspectHere(page, 'the refused milestone form');
  await post(MILESTONE_FORM.text);
  counted(true);
  assert.equal(await page.locator('#e-body, [role="alert"]').count(), 0, 'the milestone is added');
  expect('adopted idea', MILESTONE_FORM);
  shown['latest milestone'] = [MILESTONE_FORM];
});

const ATTACHMENT = hostile('file', ['markup and a right-to-left override in a file name',
  '<img src=x onerror=window.__pwned=1>\u202Egnp.exe.png', null], 120);
/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

test('an attachment\'s hostile file name is cleaned or shown as text', async () => {
  const draft = await send('a draft for the attachment', 'POST', '/api/v1/ideas', {
    contest: SLUG, category: CATEGORY, submit: false, title: 'Đèn hẻm thử độc có tệp đính kèm', summary: PAD,
  }, { auth: auth.member, ok: [201], values: 0 });
  assert.equal(draft.status, 201, draft.text);
  const form = new FormData();
  form.append('file', new Blob([PNG], { type: 'image/png' }), ATTACHMENT.text);
  const res = await fetch(`${BASE}/api/v1/ideas/${draft.json.id}/attachments`, {
    method: 'POST', headers: auth.member, body: form,
  });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  counted(true);
  const name = JSON.parse(text).file_name;
  assert.ok(!/[<>\u202E]/.test(name), `the name keeps no markup or override: ${name}`);
  expect('draft', ATTACHMENT);
  ideas.draft = draft.json.id;
});

// ---- import ------------------------------------------------------------------------------------------------------

const IMPORT_TITLES = each('ititle', 150);
const IMPORT_NAMES = each('iname', 80);
const FILE_NAME = hostile('file', CORPUS[1], 120);
const IMPORT_REFUSED = hostile('irefused', CORPUS[2], 150);

/** Cells as an online form exports them: every cell quoted, CRLF between rows, a byte-order mark first. */
function csv(rows) {
  return `\uFEFF${rows.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\r\n')}\r\n`;
}

test('an imported CSV file with hostile cells and a hostile name', async () => {
  const rows = [['Timestamp', 'Email address', 'Full name', 'Title', 'Category', 'Summary', 'Situation', 'Solution',
    'Impact']];
  for (const [k, title] of IMPORT_TITLES.entries()) {
    rows.push(['27/11/2026 14:05:09', `nhap.${k}.${RUN}@example.org`, IMPORT_NAMES[k].text, title.text,
      'Văn minh đô thị', PAD + title.text, PAD, PAD, PAD]);
  }
  // A row without a summary is refused: the report lists it by its (hostile) title.
  rows.push(['27/11/2026 14:05:09', `nhap.tu.choi.${RUN}@example.org`, IMPORT_NAMES[0].text, IMPORT_REFUSED.text,
    'Văn minh đô thị', '', '', '', '']);
  const query = `?file_name=${encodeURIComponent(FILE_NAME.text)}`;
  const r = await send(FILE_NAME.label, 'POST', `/api/v1/contests/${SLUG}/imports${query}`, csv(rows),
    { auth: { ...auth.admin, 'content-type': 'text/csv' }, ok: [201] });
  assert.equal(r.status, 201, r.text);
  // Each row's title and name, and the refused row.
  counted(true, IMPORT_TITLES.length * 2 + 1);
  counted(false);
  importReport = r.json;
  const imported = importReport.rows.filter((row) => row.idea_id);
  assert.equal(imported.length, IMPORT_TITLES.length, `every row is imported: ${r.text.slice(0, 2000)}`);
  assert.equal(importReport.rejected, 1, `the row without a summary is refused: ${r.text.slice(0, 2000)}`);
  expect('import report', FILE_NAME, IMPORT_REFUSED);
  const nul = await send('a NUL in a cell', 'POST', `/api/v1/contests/${SLUG}/imports`,
    csv([rows[0], rows[1].map((c) => `${c}\u0000`)]), { auth: { ...auth.admin, 'content-type': 'text/csv' }, ok: [],
      field: 'file' });
  // The request is well formed; the file it carries is not text: 422, the file named (`domain::validation`).
  assert.equal(nul.status, 422, nul.text);
});

// A file's name loses everything up to its last slash (folders), and a browser sends a quote as %22: markup without
// either.
const UPLOAD_NAME = hostile('upload', ['markup without a slash', '<img src=x onerror=window.__pwned=1>',
  '<img src=x onerror='], 100);
const UPLOAD_HEADER = hostile('header', CORPUS[0], 120);
const UPLOAD_TITLES = CORPUS.slice(4, 7).map((p) => hostile('utitle', p, 150));
const UPLOAD_CELLS = CORPUS.slice(0, 3).map((p) => hostile('ucell', p));

test('the import page takes a hostile CSV file: its name, a column and cells shown as text', async () => {
  const { page } = people.admin;
  const rows = [['Title', 'Summary', 'Situation', 'Solution', 'Impact', 'Category', 'Full name', 'Email address',
    UPLOAD_HEADER.text]];
  for (const [k, title] of UPLOAD_TITLES.entries()) {
    rows.push([title.text, PAD + title.text, PAD, PAD, PAD, 'Văn minh đô thị', IMPORT_NAMES[k].text,
      `tai.len.${k}.${RUN}@example.org`, UPLOAD_CELLS[k].text]);
  }
  await open(page, `/organize/contests/${SLUG}/import`);
  await page.setInputFiles('#f-file', { name: `${UPLOAD_NAME.text}.csv`, mimeType: 'text/csv',
    buffer: Buffer.from(csv(rows)) });
  await submit(page, 'form[enctype="multipart/form-data"] button[type="submit"]');
  counted(true, 2 + UPLOAD_TITLES.length + UPLOAD_CELLS.length + IMPORT_NAMES.slice(0, 3).length);
  // The mapping page: the unknown (hostile) column is shown with its sample cells, and left out.
  await inspectHere(page, 'the mapping page', [UPLOAD_NAME, UPLOAD_HEADER, ...UPLOAD_CELLS]);
  await submit(page, 'main form[method="post"]:not([enctype]) button[type="submit"]');
  const report = page.url();
  for (let n = 0; n < 100 && (await page.locator('meta[http-equiv="refresh"]').count()) > 0; n += 1) {
    await new Promise((r) => setTimeout(r, 200));
    await open(page, report);
  }
  await inspectHere(page, 'the import report', [UPLOAD_NAME]);
  assert.match(await page.locator('#counts').innerText(), /3/, 'the three rows are imported');
  expect('screening', UPLOAD_TITLES);
});

// ---- NUL and empty values everywhere they can go ----------------------------------------------------------------

test('a NUL character is refused naming the field, never a 5xx', async () => {
  const nul = 'Đèn\u0000 hẻm tối có NUL ở giữa';
  const { cookie, csrf } = await apiSignIn(MEMBER.email, MEMBER.password);
  for (const [label, method, path, body, who, field] of [
    ['contest title', 'PATCH', `/api/v1/contests/${SLUG}-1`, contest(`${SLUG}-1`, nul), auth.admin, 'title'],
    ['rubric criterion', 'PUT', `/api/v1/contests/${SLUG}-1/rubric`,
      { reviews_per_idea: 1, criteria: [{ name: nul, description: 'Mô tả', weight: 1, min_score: 1, max_score: 3 }] },
      auth.admin, 'criteria[0].name'],
    ['token name', 'POST', '/api/v1/me/tokens', { name: nul }, { cookie, 'x-csrf-token': csrf }, 'name'],
    ['screening reason', 'POST', `/api/v1/contests/${SLUG}/screening`,
      { ids: [ideas[4]], decision: 'ineligible', reason: nul }, auth.admin, 'reason'],
    ['decision rationale', 'POST', `/api/v1/contests/${SLUG}/decisions`,
      { idea_id: ideas[0], decision: 'not_selected', rationale: nul }, auth.admin, 'rationale'],
    ['milestone', 'POST', `/api/v1/contests/${SLUG}/ideas/${ideas[0]}/milestones`,
      { happened_on: today(), body: nul, progress: 50 }, auth.admin, 'body'],
  ]) {
    const r = await send(`a NUL in the ${label}`, method, path, body, { auth: who, ok: [], field });
    assert.equal(r.status, 422, `a NUL in the ${label}: ${r.text}`);
    assert.equal(r.json.error.fields[field]?.[0]?.code, 'nul_character', `a NUL in the ${label}: ${r.text}`);
  }
  const health = await fetch(`${BASE}/healthz`);
  assert.equal(health.status, 200, 'the server is still up');
});

// ---- every page that shows them ----------------------------------------------------------------------------------

/** The pages each person opens, with the values each must show. */
function pages() {
  const imported = (importReport?.rows || []).filter((r) => r.idea_id);
  const o = `/organize/contests/${SLUG}`;
  const categoriesVi = NEW_CATEGORIES.map(([vi]) => vi);
  return {
    public: [
      ['home', '/', [TITLES[0], ...seen('latest milestone')]],
      // Lists show twenty ideas, newest first: the imported ones (dated by the file) are checked on their own pages.
      ['all ideas', '/ideas', []],
      ['the contest\'s ideas', `/ideas?contest=${SLUG}`, [TITLES[0], ...categoriesVi]],
      ['a search for a hostile word', `/ideas?q=${encodeURIComponent(CORPUS[0][1])}`, [IMPORT_TITLES[0]]],
      ['the contest', `/contests/${SLUG}`, seen('contest')],
      ...extraContests.map(([slug, title]) => [`contest ${title.label}`, `/contests/${slug}`, [title]]),
      ['the adopted idea', `/ideas/${ideas[0]}`, [...seen('adopted idea'), NAMES[0]]],
      ['the discontinued idea', `/ideas/${ideas[1]}`, seen('discontinued idea')],
      ['the showcase', '/adopted', seen('latest milestone')],
      ['the contest\'s showcase', `/adopted?contest=${SLUG}`, [TITLES[0], ...seen('latest milestone')]],
      ['stats', '/stats', [TITLES[0]]],
      ['the contest\'s stats', `/stats?contest=${SLUG}`, [TITLES[0], ...categoriesVi]],
      ['open data', '/open-data', []],
      ...imported.map((row, k) => [`imported idea ${k + 1}`, `/ideas/${row.idea_id}`, [IMPORT_TITLES[k]]]),
    ],
    member: [
      ['profile', '/profile', seen('profile')],
      ['my ideas', '/me/ideas', []],
      ...ideas.map((id, k) => [`my idea ${k + 1}`, `/me/ideas/${id}`, seen(`my idea ${k}`)]),
      ['my draft with an attachment', `/me/ideas/${ideas.draft}`, seen('draft')],
    ],
    reviewer: [
      ['dashboard', '/review', [TITLES[0]]],
      ['profile', '/profile', [REVIEWER.name]],
      // The two reviewed (the declined and the recused ones are no longer the reviewer's to open).
      ...ideas.slice(0, 2).map((id, k) => [`assignment ${k + 1}`, `/review/assignments/${assignments[id]}`,
        [...seen('review form'), ...seen(`review ${k}`)]]),
    ],
    admin: [
      ['contests', '/organize/contests', seen('contests')],
      ['contest settings', `${o}/edit`, [TITLES[0], ...DESCRIPTIONS, ...RULES, ...categoriesVi]],
      ['screening', `${o}/screening`, [...IMPORT_TITLES, ...seen('screening')]],
      ['screened ineligible', `${o}/screening?status=ineligible`, []],
      ['audit log', `${o}/audit`, [FILE_NAME, DISCONTINUED, MILESTONE, RECUSE, DECLINE, ...SCREEN_REASONS]],
      ['rubric', `${o}/rubric`, seen('rubric')],
      ['panel', `${o}/panel`, seen('panel')],
      ['assignments', `${o}/assignments`, []],
      ['conflicts', `${o}/conflicts`, seen('conflicts')],
      ['decisions', `${o}/decisions`, []],
      ['results', `${o}/results`, []],
      ['adoption', `${o}/adoption`, []],
      ['adoption of the adopted idea', `${o}/ideas/${ideas[0]}/adoption`, seen('adopted idea')],
      ['adoption of the discontinued idea', `${o}/ideas/${ideas[1]}/adoption`, seen('discontinued idea')],
      ['near-duplicates', `${o}/duplicates`, []],
      ['import', `${o}/import`, [FILE_NAME, UPLOAD_NAME]],
      ['the import report', `${o}/imports/${importReport?.id}`, seen('import report')],
      ['users', '/admin/users', seen('users')],
      ['a search of users', `/admin/users?q=${encodeURIComponent(CORPUS[1][1])}`, [NAMES[1]]],
      ['outgoing mail', '/admin/mail', []],
    ],
  };
}

for (const who of ['public', 'member', 'reviewer', 'admin']) {
  test(`the ${who}'s pages show the hostile text as text, run no script and fit a phone`, async () => {
    const { page, problems } = people[who];
    for (const [label, path, values] of pages()[who]) {
      await inspect(page, label, path, values || []);
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });
}

test('hostile query parameters get a page or a clear refusal, never a 5xx, and run no script', async () => {
  const { page, problems } = people.admin;
  const q = (p) => encodeURIComponent(p[1]);
  for (const path of [
    `/ideas?category=${q(CORPUS[0])}`, `/ideas?unit=${q(CORPUS[1])}&status=${q(CORPUS[2])}`,
    `/ideas?cursor=${q(CORPUS[3])}`, `/ideas?q=${q(CORPUS[5])}&page=${q(CORPUS[4])}`,
    `/adopted?progress=${q(CORPUS[0])}&contest=${q(CORPUS[1])}`, `/stats?contest=${q(CORPUS[2])}`,
    `/organize/contests/${SLUG}/results?sort=${q(CORPUS[0])}&dir=${q(CORPUS[1])}&cut=${q(CORPUS[2])}`,
    `/organize/contests/${SLUG}/screening?status=${q(CORPUS[3])}`, `/admin/users?q=${q(CORPUS[5])}`,
    `/signin?next=${q(CORPUS[3])}`, `/ideas/${q(CORPUS[0])}`, `/contests/${q(CORPUS[1])}`,
  ]) {
    const res = await page.goto(path);
    assert.ok(res && res.status() < 500, `${path} answered ${res?.status()}`);
    counted(res.status() < 400, path.split(/[?&]/).length - 1 || 1);
    await inspectHere(page, `a page answering ${res.status()}`);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('the organizer\'s contest form shows the hostile values back as they were sent', async () => {
  const { page, problems } = people.admin;
  await open(page, `/organize/contests/${SLUG}/edit`);
  assert.equal(await page.inputValue('#f-title'), TITLES[0].text.trim());
  assert.equal(await page.inputValue('#f-description'), DESCRIPTIONS.map((v) => v.text).join('\n\n').trim());
  assert.equal(await page.inputValue('#f-rules'), RULES.map((v) => v.text).join('\n').trim());
  assert.deepEqual(problems, [], problems.join('\n'));
});

// ---- the emails that carry the text -----------------------------------------------------------------------------

test('the emails to the member and the reviewers show the hostile text as text and run no script', async () => {
  const { page, problems } = people.public;
  const mails = await messagesTo(MAIL, [MEMBER.email, ...REVIEWERS.map((r) => r.email)]);
  assert.ok(mails.length >= REVIEWERS.length, `the emails were written: ${mails.length}`);
  let said = '';
  for (const m of mails) {
    const html = messageHtml(m.raw);
    assert.ok(html, `the email "${m.subject}" (${m.file}) has an HTML part`);
    await page.setContent(html);
    tally.mails += 1;
    await check(page, `the email "${m.subject}" (${m.file})`, [], { width: false });
    said += await page.evaluate(() => document.body.innerText);
  }
  // The author is told the reasons, the reviewers' comments for the author, the milestone and the end; the
  // reviewers, the contest's title.
  for (const v of [SCREEN_REASONS[1], ...COMMENTS_AUTHOR, ...RATIONALES.slice(0, 4), MILESTONE, DISCONTINUED,
    TITLES[0]]) {
    assert.ok(said.includes(v.tag), `an email shows ${v.tag} (${v.label})`);
    if (v.shows) assert.ok(said.includes(v.shows), `an email shows ${v.label} as text`);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
});

// ---- feeds, sitemaps and open data: well-formed whatever the text ----------------------------------------------

/** Splits CSV text (RFC 4180: quoted cells may hold separators, quotes doubled, line breaks). */
function parseCsv(text) {
  const rows = [[]];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 1; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { rows.at(-1).push(cell); cell = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      rows.at(-1).push(cell);
      cell = '';
      rows.push([]);
    } else cell += c;
  }
  assert.ok(!quoted, 'every quoted cell is closed');
  if (cell !== '' || rows.at(-1).length > 0) rows.at(-1).push(cell);
  return rows.filter((r) => r.length > 0);
}

test('the feeds, sitemaps and open data stay well-formed with the hostile text in them', async () => {
  const { page } = people.public;
  await open(page, '/');
  for (const path of ['/adopted.atom', '/sitemap.xml', '/sitemaps/pages.xml', '/sitemaps/ideas.xml']) {
    const res = await fetch(`${BASE}${path}`);
    assert.equal(res.status, 200, path);
    const xml = await res.text();
    tally.feeds += 1;
    const error = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'application/xml');
      const bad = doc.querySelector('parsererror');
      return bad ? bad.textContent : null;
    }, xml);
    assert.equal(error, null, `${path} is not well-formed XML: ${error}`);
    if (path === '/adopted.atom') {
      assert.ok(xml.includes(PLANS[0].tag) || xml.includes(MILESTONE.tag) || xml.includes(TITLES[0].tag),
        'the feed carries the hostile idea');
    }
  }
  for (const path of ['/open-data/ideas.json', '/open-data/adopted.json', `/api/v1/contests/${SLUG}`]) {
    const res = await fetch(`${BASE}${path}`);
    assert.equal(res.status, 200, path);
    tally.feeds += 1;
    JSON.parse(await res.text());
  }
  const csvs = [['/open-data/ideas.csv', {}], ['/open-data/adopted.csv', {}],
    [`/organize/contests/${SLUG}/results.csv`, auth.admin]];
  for (const [path, headers] of csvs) {
    const res = await fetch(`${BASE}${path}`, { headers });
    assert.equal(res.status, 200, path);
    tally.feeds += 1;
    const rows = parseCsv((await res.text()).replace(/^\uFEFF/, ''));
    assert.ok(rows.length >= 2, `${path} has rows`);
    for (const [k, row] of rows.entries()) {
      assert.equal(row.length, rows[0].length, `${path}: row ${k + 1} has ${row.length} cells, not ${rows[0].length}`);
    }
  }
});
