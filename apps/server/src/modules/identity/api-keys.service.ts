import crypto from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { can, holdsAtLeast } from '../../platform/access/ability.ts';
import type { Actor } from '../../platform/access/actor.ts';
import { randomToken, sha256 } from '../../platform/auth/crypto.ts';
import { keyset, mapPage, type PageRequest } from '../../platform/db/pagination.ts';
import { inOrg } from '../../platform/db/scope.ts';
import { badRequest, forbidden, notFound } from '../../platform/errors/app-error.ts';
import { cannotGrant } from './identity.errors.ts';
import type { IdentityContext } from './identity.context.ts';
import { apiKeys } from './identity.schema.ts';

type KeyRow = typeof apiKeys.$inferSelect;

const toView = (k: KeyRow) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  permissions: k.permissions,
  createdBy: k.createdBy,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  expiresAt: k.expiresAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
});

export function createApiKeysService(ctx: IdentityContext) {
  const { db, catalogue, useCase } = ctx.deps;
  return {
    /** API keys, newest first, a page at a time. */
    async list(actor: Actor, q: PageRequest) {
      if (!can(actor, 'api_keys:read')) throw forbidden();
      const page = keyset(q, { column: apiKeys.createdAt, id: apiKeys.id, value: 'timestamp', desc: true, of: (k: KeyRow) => k.createdAt });
      const rows = await inOrg(db, actor.orgId, (tx) =>
        tx.select().from(apiKeys).where(and(eq(apiKeys.orgId, actor.orgId), page.after)).orderBy(...page.orderBy).limit(page.limit),
      );
      return mapPage(page.page(rows), toView);
    },

    /** The key is returned once; only its SHA-256 is kept. Scoped to permissions the creator holds. */
    async create(actor: Actor, input: { name: string; permissions?: string[] | undefined; expiresAt?: string | undefined }) {
      if (!can(actor, 'api_keys:manage')) throw forbidden();
      if (!actor.userId) throw forbidden('API keys are created by users, not by other keys.', 'user_required');
      const requested = input.permissions ?? [...actor.ability.keys()];
      const unknown = requested.filter((p) => !catalogue.isPermission(p));
      if (unknown.length) {
        throw badRequest('unknown_permission', `Unknown permission: ${unknown.join(', ')}.`, {
          errors: unknown.map((p) => ({ path: 'permissions', message: `"${p}" is not in the catalogue.` })),
        });
      }
      const notHeld = requested.find((p) => !holdsAtLeast(actor, p, 'own'));
      if (notHeld) {
        await useCase(actor, ({ audit }) =>
          audit({
            action: 'security.privilege_escalation_denied',
            entityType: 'api_key',
            entityId: null,
            details: { attempted: notHeld },
          }),
        );
        throw cannotGrant(`"${notHeld}"`);
      }
      if (input.expiresAt && new Date(input.expiresAt).getTime() <= Date.now()) {
        throw badRequest('invalid_expiry', 'expiresAt must be in the future.', {
          errors: [{ path: 'expiresAt', message: 'Must be in the future.' }],
        });
      }
      const prefix = crypto.randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
      const key = `imsop_${prefix}_${randomToken(32)}`;
      const userId = actor.userId;
      const row = await useCase(actor, async ({ tx, audit }) => {
        const [k] = await tx
          .insert(apiKeys)
          .values({
            orgId: actor.orgId,
            name: input.name,
            prefix,
            keyHash: sha256(key),
            permissions: [...new Set(requested)].sort(),
            createdBy: userId,
            expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
          })
          .returning();
        await audit({
          action: 'api_key.create',
          entityType: 'api_key',
          entityId: k!.id,
          after: { name: k!.name, prefix, permissions: k!.permissions, expiresAt: k!.expiresAt },
        });
        return k!;
      });
      return { ...toView(row), key };
    },

    async revoke(actor: Actor, id: string) {
      if (!can(actor, 'api_keys:manage')) throw forbidden();
      await useCase(actor, async ({ tx, audit, afterCommit }) => {
        const [k] = await tx
          .update(apiKeys)
          .set({ revokedAt: new Date() })
          .where(and(eq(apiKeys.orgId, actor.orgId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
          .returning();
        if (!k) throw notFound('API key');
        await audit({
          action: 'api_key.revoke',
          entityType: 'api_key',
          entityId: id,
          before: { revokedAt: null },
          after: { revokedAt: k.revokedAt },
        });
        afterCommit(() => ctx.apiKeyRevoked(id));
      });
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
