/**
 * The running server's control socket: how `imsop` commands reach a PGlite database that a server
 * owns (owner.ts), instead of opening its files from a second process.
 *
 * A Unix socket in the data directory (or, when that path is too long for a socket address, in the
 * temp directory, named after the data directory), created with mode 0600: only the operating-system
 * user that runs the server, who can read the data directory anyway, can connect. That is the whole
 * authentication, as for PostgreSQL's peer authentication over its own socket. The server writes
 * the socket's path beside its lock, where the CLI finds it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Database } from './platform/db/client.ts';

/** Socket addresses are limited to 107 bytes on Linux (103 on macOS). */
const MAX_SOCKET_PATH = 100;

export function controlSocketPath(dataDir: string): string {
  const inDir = path.join(dataDir, 'imsop.sock');
  if (Buffer.byteLength(inDir) <= MAX_SOCKET_PATH) return inDir;
  // A fresh private directory (0700) in the temp directory: nobody else can take the name first.
  const hash = crypto.createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), `imsop-${hash}-`)), 's');
}

export interface ControlHandlers {
  auditVerify(): Promise<unknown>;
  createAdmin(input: { email: string; name: string; org: string; password: string }): Promise<unknown>;
  /** `imsop demo`: loads the demo organization (or answers why not) in the server's process. */
  demo(input: { password: string }): Promise<unknown>;
  pendingMigrations(): Promise<number>;
}

export interface ControlServer {
  readonly socket: string;
  close(): Promise<void>;
}

const readJson = async (req: http.IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 64 * 1024) throw new Error('request too large');
    chunks.push(c);
  }
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
};

export async function startControlServer(database: Database, dataDir: string, handlers: ControlHandlers): Promise<ControlServer> {
  const socket = controlSocketPath(dataDir);
  // A socket file left by a process that died: we hold the directory's lock, so nobody listens on it.
  fs.rmSync(socket, { force: true });
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    void (async () => {
      try {
        const route = `${req.method} ${req.url}`;
        if (route === 'GET /status') return send(200, { pid: process.pid, database: database.kind });
        if (route === 'POST /audit/verify') return send(200, await handlers.auditVerify());
        if (route === 'POST /migrate') return send(200, { pending: await handlers.pendingMigrations(), pid: process.pid });
        if (route === 'POST /admins') {
          const b = (await readJson(req)) as Record<string, unknown>;
          const field = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : '');
          return send(200, await handlers.createAdmin({ email: field('email'), name: field('name'), org: field('org') || 'default', password: field('password') }));
        }
        if (route === 'POST /demo') {
          const b = (await readJson(req)) as Record<string, unknown>;
          return send(200, await handlers.demo({ password: typeof b.password === 'string' ? b.password : '' }));
        }
        if (route === 'GET /backup') {
          if (!database.dumpDataDir) return send(409, { error: 'this server does not run on PGlite' });
          const dump = await database.dumpDataDir();
          res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': dump.size });
          await pipeline(Readable.fromWeb(dump.stream() as never), res);
          return;
        }
        send(404, { error: `unknown control request ${route}` });
      } catch (err) {
        if (!res.headersSent) send(500, { error: (err as Error).message });
        else res.destroy(err as Error);
      }
    })();
  });
  // Created with no permission for group or others before anyone can connect.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  fs.chmodSync(socket, 0o600);
  return {
    socket,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        fs.rmSync(socket, { force: true });
        // The private directory of a socket placed in the temp directory.
        if (path.basename(socket) === 's') fs.rmSync(path.dirname(socket), { recursive: true, force: true });
      }),
  };
}

/** A request to the running server's control socket. */
export async function controlRequest(socket: string, method: 'GET' | 'POST', route: string, body?: unknown): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path: route, headers: { 'content-type': 'application/json' } }, resolve);
    req.once('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

export async function controlJson<T>(socket: string, method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
  const res = await controlRequest(socket, method, route, body);
  const chunks: Buffer[] = [];
  for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
  const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as T & { error?: string };
  if (res.statusCode !== 200) throw new Error(parsed.error ?? `the server answered ${res.statusCode}`);
  return parsed;
}
