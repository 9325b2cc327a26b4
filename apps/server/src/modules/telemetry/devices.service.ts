import type { OperationExists } from '../operations/index.ts';
import crypto from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { can } from '../../platform/access/ability.ts';
import { auditContextOf, type Actor } from '../../platform/access/actor.ts';
import { recordAudit } from '../../platform/audit/audit.ts';
import { randomToken, safeEqual, sha256 } from '../../platform/auth/crypto.ts';
import type { AppDb } from '../../platform/db/client.ts';
import { keyset, mapPage, type PageRequest } from '../../platform/db/pagination.ts';
import { inOrg, inSystem } from '../../platform/db/scope.ts';
import { badRequest, forbidden, notFound } from '../../platform/errors/app-error.ts';
import { devices } from './telemetry.schema.ts';

type DeviceRow = typeof devices.$inferSelect;

/** Online when seen within this window. */
export const ONLINE_WINDOW_MS = 5 * 60_000;

export const toDeviceView = (d: DeviceRow, now = Date.now()) => ({
  id: d.id,
  name: d.name,
  type: d.type,
  operationId: d.operationId,
  metadata: d.metadata,
  keyPrefix: d.keyPrefix,
  lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
  online: !!d.lastSeenAt && now - d.lastSeenAt.getTime() < ONLINE_WINDOW_MS,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});

export interface DeviceIdentity {
  id: string;
  orgId: string;
  operationId: string | null;
}



const newKey = () => {
  const prefix = crypto.randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
  return { prefix, key: `dev_${prefix}_${randomToken(24)}` };
};

export function createDevicesService(db: AppDb, operationExists: OperationExists) {
  const keyCache = new LRUCache<string, DeviceIdentity>({ max: 50_000, ttl: 60_000 });
  const seen = new Map<string, number>();

  async function checkOperation(actor: Actor, operationId: string | null | undefined) {
    if (operationId && !(await operationExists(actor.orgId, operationId))) {
      throw badRequest('unknown_operation', 'No such operation in this organization.', { errors: [{ path: 'operationId', message: 'Unknown operation' }] });
    }
  }

  return {
    /** Devices by name, a page at a time. */
    async list(actor: Actor, q: PageRequest) {
      if (!can(actor, 'devices:read')) throw forbidden();
      const page = keyset(q, { column: devices.name, id: devices.id, value: 'string', of: (d: DeviceRow) => d.name });
      const rows = await inOrg(db, actor.orgId, (tx) =>
        tx.select().from(devices).where(and(eq(devices.orgId, actor.orgId), page.after)).orderBy(...page.orderBy).limit(page.limit),
      );
      const now = Date.now();
      return mapPage(page.page(rows), (d) => toDeviceView(d, now));
    },

    async get(actor: Actor, id: string) {
      if (!can(actor, 'devices:read')) throw forbidden();
      const [d] = await inOrg(db, actor.orgId, (tx) => tx.select().from(devices).where(and(eq(devices.orgId, actor.orgId), eq(devices.id, id))));
      if (!d) throw notFound('Device');
      return toDeviceView(d);
    },

    /** Registers a device; its key is returned once and kept only as a SHA-256. */
    async create(actor: Actor, input: { name: string; type?: string | undefined; operationId?: string | null | undefined; metadata?: Record<string, unknown> | undefined }) {
      if (!can(actor, 'devices:manage')) throw forbidden();
      await checkOperation(actor, input.operationId);
      const { prefix, key } = newKey();
      const d = await inOrg(db, actor.orgId, async (tx) => {
        const [row] = await tx
          .insert(devices)
          .values({
            orgId: actor.orgId,
            name: input.name,
            type: input.type ?? 'generic',
            operationId: input.operationId ?? null,
            metadata: input.metadata ?? {},
            keyPrefix: prefix,
            keyHash: sha256(key),
          })
          .returning();
        await recordAudit(tx, auditContextOf(actor), { action: 'device.create', entityType: 'device', entityId: row!.id, after: toDeviceView(row!) });
        return row!;
      });
      return { ...toDeviceView(d), key };
    },

    async update(actor: Actor, id: string, patch: { name?: string | undefined; type?: string | undefined; operationId?: string | null | undefined; metadata?: Record<string, unknown> | undefined }) {
      if (!can(actor, 'devices:manage')) throw forbidden();
      await checkOperation(actor, patch.operationId);
      const out = await inOrg(db, actor.orgId, async (tx) => {
        const [before] = await tx.select().from(devices).where(and(eq(devices.orgId, actor.orgId), eq(devices.id, id)));
        if (!before) throw notFound('Device');
        const [after] = await tx.update(devices).set(patch).where(eq(devices.id, id)).returning();
        await recordAudit(tx, auditContextOf(actor), {
          action: 'device.update',
          entityType: 'device',
          entityId: id,
          before: toDeviceView(before),
          after: toDeviceView(after!),
        });
        return after!;
      });
      keyCache.clear();
      return toDeviceView(out);
    },

    /** A new key; the old one stops working at once. */
    async rotateKey(actor: Actor, id: string) {
      if (!can(actor, 'devices:manage')) throw forbidden();
      const { prefix, key } = newKey();
      const d = await inOrg(db, actor.orgId, async (tx) => {
        const [row] = await tx
          .update(devices)
          .set({ keyPrefix: prefix, keyHash: sha256(key) })
          .where(and(eq(devices.orgId, actor.orgId), eq(devices.id, id)))
          .returning();
        if (!row) throw notFound('Device');
        await recordAudit(tx, auditContextOf(actor), { action: 'device.rotate_key', entityType: 'device', entityId: id, after: { keyPrefix: prefix } });
        return row;
      });
      keyCache.clear();
      return { ...toDeviceView(d), key };
    },

    async remove(actor: Actor, id: string) {
      if (!can(actor, 'devices:manage')) throw forbidden();
      await inOrg(db, actor.orgId, async (tx) => {
        const [gone] = await tx.delete(devices).where(and(eq(devices.orgId, actor.orgId), eq(devices.id, id))).returning();
        if (!gone) throw notFound('Device');
        await recordAudit(tx, auditContextOf(actor), { action: 'device.delete', entityType: 'device', entityId: id, before: toDeviceView(gone) });
      });
      keyCache.clear();
    },

    /** Resolves `dev_<prefix>_<secret>` to its device, or null. */
    async authenticate(key: string): Promise<DeviceIdentity | null> {
      const m = /^dev_([a-z0-9]{12})_[A-Za-z0-9_-]{20,64}$/.exec(key);
      if (!m) return null;
      const hash = sha256(key);
      const hit = keyCache.get(hash);
      if (hit) return hit;
      const [row] = await inSystem(db, (tx) => tx.select().from(devices).where(eq(devices.keyPrefix, m[1]!)));
      if (!row || !safeEqual(row.keyHash, hash)) return null;
      const ident = { id: row.id, orgId: row.orgId, operationId: row.operationId };
      keyCache.set(hash, ident);
      return ident;
    },

    /** Does this device belong to the org? */
    async exists(orgId: string, id: string): Promise<boolean> {
      const [row] = await inOrg(db, orgId, (tx) => tx.select({ id: devices.id }).from(devices).where(and(eq(devices.orgId, orgId), eq(devices.id, id))));
      return !!row;
    },

    /** Records that devices spoke; written at most once a minute per device. */
    async touch(orgId: string, ids: Iterable<string>) {
      const now = Date.now();
      const due = [...new Set(ids)].filter((id) => now - (seen.get(id) ?? 0) > 60_000);
      if (due.length === 0) return;
      for (const id of due) seen.set(id, now);
      await inOrg(db, orgId, async (tx) => {
        for (const id of due) await tx.update(devices).set({ lastSeenAt: new Date(now) }).where(eq(devices.id, id));
      });
    },
  };
}

export type DevicesService = ReturnType<typeof createDevicesService>;
