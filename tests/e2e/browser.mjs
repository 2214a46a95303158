// One headless Debian Chromium for the whole run, a browser context per person (so each has their own cookies), and
// the axe-core check every page goes through.
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const BASE = process.env.E2E_BASE_URL || 'http://127.0.0.1:8080';

/** Launch flags that work as root on a machine without network (see shared TOOLCHAIN notes). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROME_PATH || '/usr/lib/chromium/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** A person: their own context (cookies) and page, on a phone-sized or laptop-sized screen. */
export async function person(browser, { phone = false } = {}) {
  const context = await browser.newContext({
    baseURL: BASE,
    locale: 'vi-VN',
    viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
    isMobile: phone,
    hasTouch: phone,
  });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  return { context, page };
}

/** Opens `path` and fails unless the answer is 200. */
export async function open(page, path) {
  const res = await page.goto(path);
  if (!res || res.status() !== 200) {
    throw new Error(`GET ${path} answered ${res ? res.status() : 'nothing'}`);
  }
  return res;
}

/** Clicks a submit button and waits for the page it leads to. */
export async function submit(page, selector) {
  await Promise.all([page.waitForEvent('load'), page.locator(selector).click()]);
}

/** Fails with the page's own words when it shows a form error or an alert. */
export async function expectNoAlert(page, what) {
  const alerts = page.locator('[role="alert"], .error');
  if ((await alerts.count()) > 0) {
    const text = (await alerts.allInnerTexts()).join(' | ');
    throw new Error(`${what}: the page at ${page.url()} says: ${text}`);
  }
}

/** A readable list of axe violations: rule, impact, what it means, and each element with axe's summary. */
export function describeViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .slice(0, 8)
        .map((n) => {
          const html = n.html.length > 160 ? `${n.html.slice(0, 160)}…` : n.html;
          const why = (n.failureSummary || '').replace(/\s*\n\s*/g, ' ');
          return `      at ${n.target.join(' ')}\n        ${html}\n        ${why}`;
        })
        .join('\n');
      const more = v.nodes.length > 8 ? `\n      … and ${v.nodes.length - 8} more` : '';
      return `  [${v.impact}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}${more}`;
    })
    .join('\n');
}

/** The axe-core violations on the page as it is now (every rule axe runs by default). */
export async function axeViolations(page) {
  return (await new AxeBuilder({ page }).analyze()).violations;
}

/** Runs axe-core on the page as it is now; fails on any violation, listing them all. */
export async function axe(page, label) {
  const violations = await axeViolations(page);
  if (violations.length > 0) {
    const count = violations.reduce((n, v) => n + v.nodes.length, 0);
    throw new Error(
      `axe: ${violations.length} rule(s) violated on ${label} (${page.url()}), ${count} element(s):\n` +
        describeViolations(violations),
    );
  }
}
