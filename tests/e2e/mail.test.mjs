// The .eml reader the flow relies on: quoted-printable and base64 parts of a multipart message, folded headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeQuotedPrintable, messageText, splitEntity, waitForLink } from './mail.mjs';

const link = 'http://127.0.0.1:8080/verify?token=AbC-123_x.y~z';

function message(to, encoding, body) {
  return [
    'From: =?utf-8?b?U8OhbmcgdOG6oW8gdHLhursg?= <no-reply@localhost>',
    `To: ${to}`,
    'Subject: =?utf-8?b?WMOhYyBtaW5oIGVtYWls?=',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative;',
    ' boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${encoding}`,
    '',
    body,
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: 7bit',
    '',
    '<p>html</p>',
    '--b1--',
    '',
  ].join('\r\n');
}

test('quoted-printable: soft line breaks and UTF-8 bytes', () => {
  assert.equal(decodeQuotedPrintable('X=C3=A1c minh: http://h/verify?token=3D=\r\nabc'), 'Xác minh: http://h/verify?token=abc');
});

test('headers are unfolded and lower-cased', () => {
  const { headers } = splitEntity(message('a@example.org', '7bit', 'x'));
  assert.equal(headers['content-type'], 'multipart/alternative; boundary="b1"');
  assert.equal(headers.to, 'a@example.org');
});

test('a multipart message gives the decoded text of each part', () => {
  const qp = `Xin ch=C3=A0o, b=E1=BA=A5m v=C3=A0o li=C3=AAn k=E1=BA=BFt:\r\n${link.replace('=', '=3D').slice(0, 40)}=\r\n${link.replace('=', '=3D').slice(40)}`;
  const text = messageText(message('a@example.org', 'quoted-printable', qp));
  assert.ok(text.includes('Xin chào, bấm vào liên kết:'), text);
  assert.ok(text.includes(link), text);
  assert.ok(text.includes('<p>html</p>'));
  const b64 = Buffer.from(`Liên kết: ${link}`).toString('base64').replace(/(.{20})/g, '$1\r\n');
  assert.ok(messageText(message('a@example.org', 'base64', b64)).includes(`Liên kết: ${link}`));
});

test('waitForLink takes the newest matching message to that address', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sangtao-mail-'));
  const older = join(dir, 'older.eml');
  await writeFile(older, message('b@example.org', '7bit', 'http://127.0.0.1:8080/verify?token=old'));
  await utimes(older, new Date(Date.now() - 5000), new Date(Date.now() - 5000));
  await writeFile(join(dir, 'newer.eml'), message('b@example.org', '7bit', 'http://127.0.0.1:8080/verify?token=new'));
  await writeFile(join(dir, 'other.eml'), message('c@example.org', '7bit', 'http://127.0.0.1:8080/verify?token=c'));
  const found = await waitForLink(dir, { to: 'b@example.org', pattern: /(http:\S+verify\?token=\w+)/ });
  assert.equal(found.link, 'http://127.0.0.1:8080/verify?token=new');
  await assert.rejects(
    waitForLink(dir, { to: 'nobody@example.org', pattern: /(verify)/, timeoutMs: 300 }),
    /no message to nobody@example.org/,
  );
});
