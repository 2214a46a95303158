// Reads the portal's outgoing mail as it is written without a mail server: one `.eml` file per message in
// `<data dir>/mail/`. A message is MIME (lettre): headers, then a plain or multipart/alternative body whose parts may
// be quoted-printable or base64; the text returned is every text part decoded.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Headers (unfolded, names lower-cased) and body of one MIME entity. */
export function splitEntity(raw) {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
  return { headers, body };
}

/** Quoted-printable to text (UTF-8): soft line breaks removed, `=XX` bytes put back. */
export function decodeQuotedPrintable(text) {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i++) {
    const c = joined[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(joined.slice(i + 1, i + 3))) {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(headers, body) {
  const encoding = (headers['content-transfer-encoding'] || '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** The leaf parts of a message (multiparts opened), each with its content type and decoded text. */
function leafParts(raw) {
  const { headers, body } = splitEntity(raw);
  const type = headers['content-type'] || 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type);
  if (/^multipart\//i.test(type) && boundary) {
    return body
      .split(`--${boundary[1]}`)
      .slice(1)
      .filter((part) => !part.startsWith('--'))
      .flatMap((part) => leafParts(part.replace(/^\r?\n/, '')));
  }
  return /^text\//i.test(type) ? [{ type, text: decodeBody(headers, body) }] : [];
}

/** Every text part of a message, decoded, joined by blank lines. */
export function messageText(raw) {
  return leafParts(raw).map((p) => p.text).filter(Boolean).join('\n\n');
}

/** The HTML part of a message, decoded ('' if it has none). */
export function messageHtml(raw) {
  return leafParts(raw).find((p) => /^text\/html/i.test(p.type))?.text || '';
}

/** The `.eml` files of `dir`, newest first. */
async function messages(dir) {
  let names = [];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.eml'));
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  const files = await Promise.all(
    names.map(async (n) => ({ path: join(dir, n), mtime: (await stat(join(dir, n))).mtimeMs })),
  );
  return files.sort((a, b) => b.mtime - a.mtime);
}

/** Every message to any of `addresses`, newest first: its subject and raw text. */
export async function messagesTo(dir, addresses) {
  const wanted = addresses.map((a) => a.toLowerCase());
  const out = [];
  for (const m of await messages(dir)) {
    const raw = await readFile(m.path, 'utf8');
    const { headers } = splitEntity(raw);
    const to = (headers.to || '').toLowerCase();
    if (wanted.some((a) => to.includes(a))) out.push({ subject: headers.subject || '', raw, file: m.path });
  }
  return out;
}

/**
 * Waits for the newest message to `to` whose decoded text matches `pattern` (a RegExp with one group), written at
 * or after `since` (ms since the epoch), and returns the group (a link) with the message's subject and text.
 */
export async function waitForLink(dir, { to, pattern, since = 0, timeoutMs = 15000 }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const m of await messages(dir)) {
      if (m.mtime + 1000 < since) break;
      const raw = await readFile(m.path, 'utf8');
      const { headers } = splitEntity(raw);
      if (!(headers.to || '').toLowerCase().includes(to.toLowerCase())) continue;
      const text = messageText(raw);
      const found = pattern.exec(text);
      if (found) {
        return { link: found[1].replace(/&amp;/g, '&'), subject: headers.subject || '', text, file: m.path };
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`no message to ${to} matching ${pattern} in ${dir} within ${timeoutMs} ms`);
    }
    await sleep(100);
  }
}
