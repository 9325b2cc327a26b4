import { bigint, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, orgIsolation, ts } from '../db/columns.ts';

export const SCAN_STATUSES = ['clean', 'infected'] as const;

/** Uploaded files, content-addressed by sha256 on the file store. */
export const files = pgTable(
  'files',
  {
    id: id(),
    orgId: orgId(),
    sha256: text('sha256').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    mime: text('mime').notNull(),
    name: text('name').notNull(),
    uploadedBy: uuid('uploaded_by'),
    /** Set when a ticket or reply claims the file; an anonymous upload can be claimed once. */
    claimedAt: ts('claimed_at'),
    scanStatus: text('scan_status', { enum: SCAN_STATUSES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('files_org_sha').on(t.orgId, t.sha256), orgIsolation()],
).enableRLS();
