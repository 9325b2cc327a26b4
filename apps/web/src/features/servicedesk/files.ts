import { createImsopClient, type ImsopClient } from '@imsop/sdk';
import { api, call } from '../../lib/api';
import { auth } from '../../lib/auth';
import { toApiError } from '../../lib/problem';
import type { UploadedFile } from './types';

const origin = typeof location === 'undefined' ? 'http://localhost' : location.origin;

/**
 * The client of the public pages (ticket form, requester portal): never sends the console's
 * session, so the form and the portal behave the same for a signed-in agent as for the public.
 */
export const publicApi: ImsopClient = createImsopClient({ baseUrl: origin });

/** Where an upload goes: the signed-in user's org, the public form's org, or a requester link's ticket. */
export type UploadTarget = { kind: 'console' } | { kind: 'form'; org: string } | { kind: 'portal'; ticketId: string; token: string };

/** Uploads one file (multipart, part "file"); anonymous uploads never carry the console's session. */
export async function uploadFile(file: File, target: UploadTarget = { kind: 'console' }): Promise<UploadedFile> {
  const form = new FormData();
  form.append('file', file, file.name);
  // The OpenAPI document does not describe multipart bodies: the form goes through as it is.
  const body = form as never;
  if (target.kind === 'console') return (await call(api.POST('/api/upload', { params: { query: {} }, body }))) as UploadedFile;
  const query = target.kind === 'form' ? { org: target.org } : { ticket: target.ticketId };
  const headers = target.kind === 'portal' ? { 'x-ticket-token': target.token } : {};
  return (await call(publicApi.POST('/api/upload', { params: { query }, headers, body }))) as UploadedFile;
}

/** "report.pdf" from `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`. */
export function fileNameOf(disposition: string | null): string | null {
  if (!disposition) return null;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[1]!.trim());
    } catch {
      // fall back to the plain name
    }
  }
  const plain = /filename="([^"]*)"/i.exec(disposition);
  return plain ? plain[1]! : null;
}

export interface FileInfo {
  name: string;
  size: number | null;
  mime: string | null;
}

/** Where a file is read from: the console (signed in) or the requester link (ticket token). */
export type FileSource = { kind: 'console' } | { kind: 'portal'; ticketId: string; token: string };

function request(id: string, source: FileSource, method: 'GET' | 'HEAD'): Promise<Response> {
  if (source.kind === 'portal') {
    return fetch(`/api/portal/tickets/${source.ticketId}/files/${id}`, { method, headers: { 'x-ticket-token': source.token } });
  }
  return fetch(`/api/files/${id}`, { method, headers: auth.token ? { authorization: `Bearer ${auth.token}` } : {} });
}

/** A file's name, size and type, from the headers of a HEAD request (there is no metadata route). */
export async function fileInfo(id: string, source: FileSource): Promise<FileInfo> {
  const res = await request(id, source, 'HEAD');
  if (!res.ok) throw toApiError(undefined, res);
  const size = Number(res.headers.get('content-length'));
  return { name: fileNameOf(res.headers.get('content-disposition')) ?? 'file', size: Number.isFinite(size) ? size : null, mime: res.headers.get('content-type') };
}

/** Downloads a file with the credentials it needs (a header, never in the URL) and saves it under its name. */
export async function downloadFile(id: string, source: FileSource): Promise<void> {
  let res = await request(id, source, 'GET');
  if (res.status === 401 && source.kind === 'console' && (await auth.refresh())) res = await request(id, source, 'GET');
  if (!res.ok) throw toApiError(await res.json().catch(() => undefined), res);
  saveBlob(await res.blob(), fileNameOf(res.headers.get('content-disposition')) ?? 'download');
}

/** Hands a blob to the browser as a download. */
export function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** 1536 → "1.5 kB". */
export function formatBytes(n: number | null | undefined): string {
  if (n == null) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
