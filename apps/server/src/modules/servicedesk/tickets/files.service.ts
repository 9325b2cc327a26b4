import { and, eq } from 'drizzle-orm';
import { can } from '../../../platform/access/ability.ts';
import type { Actor, RequestMeta } from '../../../platform/access/actor.ts';
import { recordAudit } from '../../../platform/audit/audit.ts';
import { inOrg } from '../../../platform/db/scope.ts';
import { files } from '../../../platform/files/files.schema.ts';
import { sniffType } from '../../../platform/files/sniff.ts';
import { AppError, forbidden, notFound } from '../../../platform/errors/app-error.ts';
import { attachedTo, readableFiles, uploaderOf } from './file-access.ts';
import { tickets } from '../servicedesk.schema.ts';
import { auditOf, inUseCase, type ServicedeskDeps } from '../servicedesk.context.ts';

export interface FileView {
  id: string;
  name: string;
  mime: string;
  size: number;
  sha256: string;
  createdAt: string;
}

const toFileView = (f: typeof files.$inferSelect): FileView => ({
  id: f.id,
  name: f.name,
  mime: f.mime,
  size: f.size,
  sha256: f.sha256,
  createdAt: f.createdAt.toISOString(),
});

/** A name safe to keep and to send back in Content-Disposition: no paths, no control characters. */
export function safeFileName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, 200);
  return clean || 'file';
}

export function createFilesService(deps: ServicedeskDeps) {
  const { db } = deps;
  const commit = inUseCase(deps);

  return {
    /**
     * Stores an upload: the type is sniffed from the bytes, the scanner hook must pass it, and the
     * bytes are kept once per sha256. `actor` null is an anonymous upload for the public form.
     */
    async upload(orgId: string, actor: Actor | null, file: { name: string | undefined; bytes: Buffer }, meta: RequestMeta): Promise<FileView> {
      if (actor && !can(actor, 'files:upload')) throw forbidden();
      if (file.bytes.length > deps.uploadMaxBytes) {
        throw new AppError(413, 'file_too_large', `The file is larger than the limit of ${deps.uploadMaxBytes} bytes.`);
      }
      const type = await sniffType(file.bytes);
      if (!type) {
        throw new AppError(415, 'unsupported_file_type', 'This kind of file is not accepted: use an image, PDF, office document, ZIP or plain text.');
      }
      const stored = await deps.fileStore.put(file.bytes);
      const verdict = await deps.scanner.scan({ bytes: file.bytes, mime: type.mime, sha256: stored.sha256 });
      if (!verdict.clean) throw new AppError(422, 'file_rejected', `The file was rejected by the malware scanner (${verdict.reason}).`);
      return commit(orgId, async (tx) => {
        const [row] = await tx
          .insert(files)
          .values({
            orgId,
            sha256: stored.sha256,
            size: stored.size,
            mime: type.mime,
            name: safeFileName(file.name),
            uploadedBy: actor ? uploaderOf(actor) : null,
            scanStatus: 'clean',
          })
          .returning();
        await recordAudit(tx, actor ? auditOf({ kind: 'actor', actor }) : auditOf({ kind: 'requester', orgId, meta }), {
          action: 'file.upload',
          entityType: 'file',
          entityId: row!.id,
          after: { mime: row!.mime, size: row!.size, sha256: row!.sha256 },
        });
        return toFileView(row!);
      });
    },

    /** A file the agent may read (the file rule: they uploaded it, or it hangs off a ticket in their reach). */
    async download(actor: Actor, fileId: string) {
      const f = await inOrg(db, actor.orgId, async (tx) => {
        if (!(await readableFiles(tx, actor, [fileId])).has(fileId)) throw notFound('File');
        const [f] = await tx.select().from(files).where(and(eq(files.orgId, actor.orgId), eq(files.id, fileId)));
        if (!f) throw notFound('File');
        return f;
      });
      return { file: toFileView(f), bytes: await deps.fileStore.read(f.sha256) };
    },

    /** A file of a ticket's public thread, for the requester's link. */
    async portalDownload(orgId: string, ticketId: string, fileId: string) {
      const f = await inOrg(db, orgId, async (tx) => {
        const [t] = await tx
          .select({ id: tickets.id })
          .from(tickets)
          .where(and(eq(tickets.orgId, orgId), eq(tickets.id, ticketId), attachedTo(fileId, true)));
        if (!t) throw notFound('File');
        const [f] = await tx.select().from(files).where(and(eq(files.orgId, orgId), eq(files.id, fileId)));
        if (!f) throw notFound('File');
        return f;
      });
      return { file: toFileView(f), bytes: await deps.fileStore.read(f.sha256) };
    },
  };
}

export type FilesService = ReturnType<typeof createFilesService>;
