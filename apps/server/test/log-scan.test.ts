/**
 * The log scan: a real server process (`imsop start`, LOG_LEVEL=debug, logs captured from stdout
 * and stderr) goes through the flows that handle credentials and personal data — good and bad
 * sign-ins, refresh and refresh-token reuse, MFA with TOTP and recovery codes, API keys, device
 * keys over HTTP and MQTT, a password change, the public ticket form with an email and a mobile
 * number, an upload, the requester portal, inbound email and WhatsApp, the realtime socket — with
 * seeded secrets and personal data. None of them may appear in what the process wrote.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { whatsappSignature, WHATSAPP_WEBHOOK_EXAMPLE } from '../src/platform/messaging/whatsapp.ts';
import { clockEnv } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/imsop.js', import.meta.url));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-logscan-'));
const tag = crypto.randomBytes(4).toString('hex');
const secretValue = () => crypto.randomBytes(18).toString('base64url');

/** Seeded before the run: configuration secrets, passwords, and the people's data. */
const seed = {
  adminEmail: `wilhelmina.admin.${tag}@example.test`,
  adminPassword: `Admin-Scan-${tag}-Quartz`,
  jwtSecret: secretValue() + secretValue(),
  waAppSecret: secretValue(),
  waVerifyToken: secretValue(),
  metricsToken: secretValue(),
  wrongPassword: `Wrong-Guess-${tag}-Basalt`,
  userEmail: `quirinus.marchbanks.${tag}@example.test`,
  userName: `Quirinus Marchbanks ${tag}`,
  userPhone: '+44 20 7946 0731',
  userPassword: `User-Scan-${tag}-Granite`,
  userNewPassword: `User-New-${tag}-Obsidian`,
  requesterName: `Ottoline Vandersteen ${tag}`,
  requesterEmail: `ottoline.v.${tag}@example.test`,
  requesterMobile: '+33612345678',
  mailerName: `Balthazar Okonkwo ${tag}`,
  mailerEmail: `balthazar.o.${tag}@example.test`,
  mailerPhone: '+14155550123',
  waPhone: '16505550147',
  waName: `Philippa Ashdown ${tag}`,
  badApiKey: `imsop_${'q'.repeat(12)}_${secretValue()}`,
  badTicketToken: secretValue(),
};

/** Secrets the server hands out during the run (tokens, keys, TOTP material), collected as they come. */
const issued = new Set<string>();
const keep = (...values: (string | undefined | null)[]) => {
  for (const v of values) if (v) issued.add(v);
};

let server: ChildProcess;
let base = '';
let mqttPort = 0;
let output = '';
let exited: Promise<number | null>;

beforeAll(async () => {
  server = spawn(process.execPath, [BIN, 'start'], {
    env: {
      ...clockEnv(),
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      IMSOP_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      MQTT_PORT: '0',
      LOG_LEVEL: 'debug',
      IMSOP_ADMIN_EMAIL: seed.adminEmail,
      IMSOP_ADMIN_PASSWORD: seed.adminPassword,
      IMSOP_JWT_SECRET: seed.jwtSecret,
      WHATSAPP_APP_SECRET: seed.waAppSecret,
      WHATSAPP_VERIFY_TOKEN: seed.waVerifyToken,
      WHATSAPP_ORG: 'default',
      METRICS_TOKEN: seed.metricsToken,
      SLA_TICK_SECONDS: '1',
    },
  });
  server.stdout!.on('data', (d) => (output += d));
  server.stderr!.on('data', (d) => (output += d));
  exited = new Promise((resolve) => server.on('exit', (code) => resolve(code)));
  const until = Date.now() + 60_000;
  while (!/running at (http:\/\/\S+) .*MQTT on port (\d+)/.test(output)) {
    if (Date.now() > until || server.exitCode !== null) throw new Error(`the server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = /running at (http:\/\/\S+) .*MQTT on port (\d+)/.exec(output)!;
  base = m[1]!;
  mqttPort = Number(m[2]);
}, 90_000);

afterAll(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function call(method: string, url: string, opts: { token?: string; headers?: Record<string, string>; body?: unknown; raw?: string } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${base}${url}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (a file, a challenge)
  }
  return { status: res.status, json, text, headers: res.headers };
}

async function expectStatus(p: ReturnType<typeof call>, status: number, what: string) {
  const r = await p;
  expect(r.status, `${what}: ${r.text.slice(0, 300)}`).toBe(status);
  return r;
}

/** A code `steps` 30-second steps ahead (each TOTP step is accepted once per user). */
const totp = (secret: string, steps = 0) =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: Date.now() + steps * 30_000 });

/** Runs every flow; returns what the run must have logged, to show that the scan looks at real logs. */
async function runFlows() {
  // Sign-in: wrong password (twice), unknown account, then right.
  await expectStatus(call('POST', '/api/auth/login', { body: { email: seed.adminEmail, password: seed.wrongPassword } }), 401, 'wrong password');
  await expectStatus(call('POST', '/api/auth/login', { body: { email: seed.adminEmail, password: `${seed.wrongPassword}2` } }), 401, 'wrong password');
  await expectStatus(call('POST', '/api/auth/login', { body: { email: `nobody.${seed.adminEmail}`, password: seed.adminPassword } }), 401, 'unknown email');
  await expectStatus(call('POST', '/api/auth/login', { body: { email: seed.adminEmail, password: 'short', extra: seed.adminPassword } }), 400, 'bad body');
  const admin = await expectStatus(call('POST', '/api/auth/login', { body: { email: seed.adminEmail, password: seed.adminPassword } }), 200, 'admin login');
  let adminToken = admin.json.accessToken as string;
  keep(adminToken, admin.json.refreshToken as string, admin.headers.get('set-cookie'));

  // Refresh: in the body, then by cookie; then the first token again after the grace window (reuse → the session is revoked).
  const r1 = await expectStatus(call('POST', '/api/auth/refresh', { body: { refreshToken: admin.json.refreshToken } }), 200, 'refresh');
  keep(r1.json.accessToken as string, r1.json.refreshToken as string);
  const r2 = await expectStatus(call('POST', '/api/auth/refresh', { headers: { cookie: `imsop_refresh=${r1.json.refreshToken as string}` } }), 200, 'refresh by cookie');
  keep(r2.json.accessToken as string, r2.json.refreshToken as string);
  await expectStatus(call('POST', '/api/auth/refresh', { body: { refreshToken: `${secretValue()}${secretValue()}` } }), 401, 'unknown refresh token');
  adminToken = (await expectStatus(call('POST', '/api/auth/login', { body: { email: seed.adminEmail, password: seed.adminPassword } }), 200, 'login')).json.accessToken as string;
  keep(adminToken);
  await expectStatus(call('GET', '/api/auth/me', { token: adminToken }), 200, 'me');
  await expectStatus(call('GET', '/api/auth/me', { token: `${adminToken.slice(0, -4)}AAAA` }), 401, 'tampered token');

  // A user with personal data; sign-ins; a password change.
  const user = await expectStatus(
    call('POST', '/api/users', { token: adminToken, body: { email: seed.userEmail, name: seed.userName, phone: seed.userPhone, password: seed.userPassword, roles: ['agent'] } }),
    201,
    'create user',
  );
  const userId = user.json.id as string;
  await expectStatus(call('PATCH', `/api/users/${userId}`, { token: adminToken, body: { name: `${seed.userName} Jr`, phone: seed.userPhone } }), 200, 'update user');
  await expectStatus(call('GET', `/api/users?q=${encodeURIComponent(seed.userEmail)}`, { token: adminToken }), 200, 'search by email');
  await expectStatus(call('POST', '/api/auth/login', { body: { email: seed.userEmail, password: seed.wrongPassword } }), 401, 'user wrong password');
  let userLogin = await expectStatus(call('POST', '/api/auth/login', { body: { email: seed.userEmail, password: seed.userPassword } }), 200, 'user login');
  keep(userLogin.json.accessToken as string, userLogin.json.refreshToken as string);
  await expectStatus(
    call('POST', '/api/auth/password', { token: userLogin.json.accessToken as string, body: { currentPassword: seed.wrongPassword, newPassword: seed.userNewPassword } }),
    400,
    'password change with a wrong current password',
  );
  await expectStatus(
    call('POST', '/api/auth/password', { token: userLogin.json.accessToken as string, body: { currentPassword: seed.userPassword, newPassword: seed.userNewPassword } }),
    200,
    'password change',
  );
  userLogin = await expectStatus(call('POST', '/api/auth/login', { body: { email: seed.userEmail, password: seed.userNewPassword } }), 200, 'login, new password');
  let userToken = userLogin.json.accessToken as string;
  keep(userToken, userLogin.json.refreshToken as string);

  // MFA: setup, enable with a TOTP code, sign in with a code and with a recovery code.
  const setup = await expectStatus(call('POST', '/api/auth/mfa/setup', { token: userToken }), 200, 'mfa setup');
  const totpSecret = setup.json.secret as string;
  keep(totpSecret, setup.json.otpauthUri as string);
  const enableCode = totp(totpSecret);
  const enabled = await expectStatus(call('POST', '/api/auth/mfa/enable', { token: userToken, body: { code: enableCode } }), 200, 'mfa enable');
  const recovery = enabled.json.recoveryCodes as string[];
  keep(...recovery);
  const challenge = await expectStatus(call('POST', '/api/auth/login', { body: { email: seed.userEmail, password: seed.userNewPassword } }), 200, 'mfa challenge');
  keep(challenge.json.mfaToken as string);
  await expectStatus(call('POST', '/api/auth/mfa/verify', { body: { mfaToken: challenge.json.mfaToken, code: recovery[1]!.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')) } }), 401, 'wrong code');
  const viaTotp = await expectStatus(call('POST', '/api/auth/mfa/verify', { body: { mfaToken: challenge.json.mfaToken, code: totp(totpSecret, 1) } }), 200, 'mfa verify');
  keep(viaTotp.json.accessToken as string, viaTotp.json.refreshToken as string);
  const challenge2 = await expectStatus(call('POST', '/api/auth/login', { body: { email: seed.userEmail, password: seed.userNewPassword } }), 200, 'mfa challenge 2');
  keep(challenge2.json.mfaToken as string);
  const viaRecovery = await expectStatus(call('POST', '/api/auth/mfa/verify', { body: { mfaToken: challenge2.json.mfaToken, code: recovery[0] } }), 200, 'recovery code');
  userToken = viaRecovery.json.accessToken as string;
  keep(userToken, viaRecovery.json.refreshToken as string);

  // API keys: create, use as X-API-Key and as Bearer, a bad key.
  const key = await expectStatus(call('POST', '/api/api-keys', { token: adminToken, body: { name: 'scan key', permissions: ['users:read', 'tickets:create', 'tickets:read'] } }), 201, 'api key');
  const apiKey = key.json.key as string;
  keep(apiKey);
  await expectStatus(call('GET', '/api/users', { headers: { 'x-api-key': apiKey } }), 200, 'api key header');
  await expectStatus(call('GET', '/api/users', { token: apiKey }), 200, 'api key bearer');
  await expectStatus(call('GET', '/api/users', { headers: { 'x-api-key': seed.badApiKey } }), 401, 'bad api key');

  // Devices: ingest over HTTP and MQTT, rotate the key, the old key refused.
  const device = await expectStatus(call('POST', '/api/devices', { token: adminToken, body: { name: 'Scan sensor' } }), 201, 'device');
  const deviceId = device.json.id as string;
  const deviceKey = device.json.key as string;
  keep(deviceKey);
  await expectStatus(call('POST', '/api/telemetry', { headers: { 'x-device-key': deviceKey }, body: { metricName: 'scan_temp', value: 21.5 } }), 201, 'ingest');
  const broker = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: deviceId, password: deviceKey, reconnectPeriod: 0 });
  await broker.publishAsync(`imsop/devices/${deviceId}/telemetry`, JSON.stringify({ metricName: 'scan_temp', value: 22 }), { qos: 1 });
  await broker.publishAsync(`imsop/devices/${deviceId}/telemetry`, 'not json', { qos: 1 });
  await broker.endAsync();
  await expect(mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: deviceId, password: `${deviceKey}x`, reconnectPeriod: 0 })).rejects.toThrow();
  const rotated = await expectStatus(call('POST', `/api/devices/${deviceId}/rotate-key`, { token: adminToken }), 200, 'rotate');
  keep(rotated.json.key as string);
  await expectStatus(call('POST', '/api/telemetry', { headers: { 'x-device-key': deviceKey }, body: { metricName: 'scan_temp', value: 23 } }), 401, 'old device key');

  // The public form: an upload, a ticket with email and mobile, the requester portal.
  const boundary = `scan${tag}`;
  const upload = await expectStatus(
    call('POST', '/api/upload?org=default', {
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      raw: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="scan.txt"\r\nContent-Type: text/plain\r\n\r\nWrite to ${seed.requesterEmail} or call ${seed.requesterMobile}\r\n--${boundary}--\r\n`,
    }),
    201,
    'upload',
  );
  const ticket = await expectStatus(
    call('POST', '/api/tickets/public?org=default', {
      body: {
        name: seed.requesterName,
        email: seed.requesterEmail,
        mobile: seed.requesterMobile,
        subject: 'My printer is on fire',
        description: `Call me on ${seed.requesterMobile}`,
        attachmentIds: [upload.json.id],
      },
    }),
    201,
    'public ticket',
  );
  const ticketId = ticket.json.id as string;
  const linkToken = ticket.json.token as string;
  keep(linkToken, ticket.json.link as string);
  await expectStatus(call('GET', `/api/portal/tickets/${ticketId}`, { headers: { 'x-ticket-token': linkToken } }), 200, 'portal');
  await expectStatus(call('POST', `/api/portal/tickets/${ticketId}/replies`, { headers: { 'x-ticket-token': linkToken }, body: { body: `Still burning, ${seed.requesterName}` } }), 201, 'portal reply');
  await expectStatus(call('GET', `/api/portal/tickets/${ticketId}`, { headers: { 'x-ticket-token': seed.badTicketToken } }), 404, 'bad link token');

  // Inbound email through the relay's API key.
  const mail = [
    `From: "${seed.mailerName}" <${seed.mailerEmail}>`,
    'To: support@example.test',
    `Subject: Help ${tag}`,
    `Message-ID: <${tag}@example.test>`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Please call ${seed.mailerPhone}.`,
    '',
  ].join('\r\n');
  await expectStatus(call('POST', '/api/inbound/email', { headers: { 'x-api-key': apiKey, 'content-type': 'message/rfc822' }, raw: mail }), 200, 'inbound email');

  // WhatsApp: the handshake (right and wrong verify token) and a signed inbound message.
  await expectStatus(call('GET', `/api/webhooks/whatsapp/default?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(seed.waVerifyToken)}&hub.challenge=4242`), 200, 'wa handshake');
  await expectStatus(call('GET', `/api/webhooks/whatsapp/default?hub.mode=subscribe&hub.verify_token=${seed.badTicketToken}&hub.challenge=1`), 401, 'wa bad token');
  const wa = structuredClone(WHATSAPP_WEBHOOK_EXAMPLE);
  const value = wa.entry[0]!.changes[0]!.value;
  value.contacts[0]!.wa_id = seed.waPhone;
  (value.contacts[0] as { profile?: { name: string } }).profile = { name: seed.waName };
  value.messages = [{ from: seed.waPhone, id: `wamid.scan${tag}`, timestamp: '1749416383', type: 'text', text: { body: `I am ${seed.waName}` } }] as typeof value.messages;
  const waBody = JSON.stringify(wa);
  await expectStatus(call('POST', '/api/webhooks/whatsapp/default', { headers: { 'content-type': 'application/json', 'x-hub-signature-256': whatsappSignature(seed.waAppSecret, waBody) }, raw: waBody }), 200, 'wa message');

  // The realtime socket, with the token in the URL and in an auth message.
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api/realtime?access_token=${adminToken}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'auth', token: adminToken }));
  ws.send(JSON.stringify({ type: 'subscribe', topic: `ticket:${ticketId}` }));
  await new Promise((r) => setTimeout(r, 200));
  ws.close();

  // Prometheus' scrape: with the token, without, and with a wrong one (in the header and in the URL).
  await expectStatus(call('GET', '/metrics', { token: seed.metricsToken }), 200, 'metrics with the token');
  await expectStatus(call('GET', '/metrics'), 401, 'metrics without a token');
  await expectStatus(call('GET', `/metrics?token=${seed.metricsToken}`, { token: seed.badTicketToken }), 401, 'metrics with a wrong token');

  // Sign-outs end the sessions.
  await expectStatus(call('POST', '/api/auth/logout', { token: userToken }), 204, 'logout');
  await expectStatus(call('GET', '/api/auth/me', { token: userToken }), 401, 'after logout');
}

describe('the log scan', () => {
  it('a full run logs no seeded secret and no personal data', { timeout: 120_000 }, async () => {
    await runFlows();
    // Let the background work (notifications, SLA ticks, session activity) log what it logs, then stop.
    await new Promise((r) => setTimeout(r, 1_500));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);

    const lines = output.split('\n').filter(Boolean);
    const json = lines.filter((l) => l.startsWith('{'));
    // The scan reads real, verbose logs: every request, the socket's URL, the broker.
    expect(json.filter((l) => l.includes('"incoming request"')).length).toBeGreaterThan(40);
    expect(output).toContain('"level":20');
    for (const expected of ['/api/auth/login', '/api/tickets/public?org=default', '/api/realtime?access_token=[redacted]', 'hub.verify_token=[redacted]', 'embedded MQTT broker listening']) {
      expect(output, expected).toContain(expected);
    }

    const personal = [
      seed.adminEmail,
      seed.userEmail,
      seed.userName,
      seed.userPhone,
      seed.userPhone.replace(/\D/g, ''),
      seed.requesterName,
      seed.requesterEmail,
      seed.requesterMobile,
      seed.requesterMobile.slice(1),
      seed.mailerName,
      seed.mailerEmail,
      seed.mailerPhone,
      seed.waPhone,
      seed.waName,
    ];
    const secrets = [
      seed.adminPassword,
      seed.jwtSecret,
      seed.waAppSecret,
      seed.waVerifyToken,
      seed.metricsToken,
      seed.wrongPassword,
      seed.userPassword,
      seed.userNewPassword,
      seed.badApiKey,
      seed.badTicketToken,
      ...issued,
    ];
    // The first start prints the administrator it created, for the operator (README "Quick start"); that line only.
    const banner = `Created organization "default" with administrator ${seed.adminEmail}.`;
    const scanned = lines.filter((l) => l !== banner).join('\n');
    expect(output).toContain(banner);
    const found: string[] = [];
    for (const s of [...personal, ...secrets]) {
      for (const form of new Set([s, encodeURIComponent(s), s.toLowerCase(), JSON.stringify(s).slice(1, -1)])) {
        if (form.length >= 6 && scanned.includes(form)) found.push(`${s.slice(0, 24)}… as ${JSON.stringify(form.slice(0, 40))} in: ${scanned.split('\n').find((l) => l.includes(form))!.slice(0, 400)}`);
      }
    }
    // Parts of a token are as bad as the token: its signature, the secret part of an API or device key.
    for (const s of secrets) {
      const tail = s.split(/[._]/).at(-1)!;
      if (tail.length >= 16 && scanned.includes(tail)) found.push(`the last part of ${s.slice(0, 12)}…`);
    }
    expect(found).toEqual([]);
    expect(issued.size).toBeGreaterThan(25);
    console.info(`[log-scan] ${lines.length} lines (${json.length} JSON) scanned for ${personal.length} pieces of personal data and ${secrets.length} secrets`);
  });
});
