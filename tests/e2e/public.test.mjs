// axe-core in a real Chromium on every public page a visitor reaches without an account, on a phone-sized screen
// (where most visitors are), in Vietnamese and on two pages in English. Any violation fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, person, open, axe } from './browser.mjs';

let browser;
let visitor;

before(async () => {
  browser = await launch();
  visitor = await person(browser, { phone: true });
});

after(async () => {
  await browser?.close();
});

/** The first idea listed on /ideas, to check an idea page with real content. */
async function firstIdeaPath(page) {
  await open(page, '/ideas');
  const href = await page.locator('ol.list h2 a').first().getAttribute('href');
  assert.ok(href, '/ideas lists at least one idea');
  return href;
}

const PAGES = [
  ['home', '/'],
  ['all ideas', '/ideas'],
  ['ideas filtered and searched', '/ideas?q=giao+thong&contest=sang-tao-tre-2021'],
  ['an idea', null],
  ['adopted ideas', '/adopted'],
  ['statistics', '/stats'],
  ['statistics of one contest', '/stats?contest=sang-tao-tre-2021'],
  ['adopted ideas filtered', '/adopted?contest=sang-tao-tre-2021&progress=75-100'],
  ['the open contest', '/contests/sang-tao-tre-2026'],
  ['the finished contest', '/contests/sang-tao-tre-2021'],
  ['sign in', '/signin'],
  ['register', '/register'],
  ['forgot password', '/password/forgot'],
];

for (const [label, path] of PAGES) {
  test(`axe: ${label}`, async () => {
    const { page } = visitor;
    const target = path ?? (await firstIdeaPath(page));
    await open(page, target);
    await axe(page, label);
  });
}

test('axe: an adopted idea with its progress', async () => {
  const { page } = visitor;
  await open(page, '/ideas?status=implemented');
  const href = await page.locator('ol.list h2 a').first().getAttribute('href');
  assert.ok(href, 'the demo has implemented ideas');
  await open(page, href);
  await axe(page, 'an implemented idea');
});

test('axe: English pages (home, all ideas)', async () => {
  const { page } = visitor;
  await open(page, '/?lang=en');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await axe(page, 'home in English');
  await open(page, '/ideas');
  await axe(page, 'all ideas in English');
});
