import type { ReactNode } from 'react';
import { formatFull, formatRelative } from '../lib/format';
import type { AuditEntry } from '../lib/types';
import { STATUS_LABEL } from '../components/ui/badge';

const VERBS: Record<string, string> = {
  create: 'created',
  update: 'updated',
  delete: 'deleted',
  status_change: 'changed the status of',
  raise: 'raised',
  clear: 'cleared',
  acknowledge: 'acknowledged',
  revoke: 'revoked',
  revoke_others: 'revoked other sessions of',
  roles_set: 'changed the roles of',
  deactivate: 'deactivated',
  activate: 'activated',
  restore: 'restored',
  rotate_key: 'rotated the key of',
  mfa_enable: 'turned on two-factor authentication for',
  mfa_disable: 'turned off two-factor authentication for',
  password_change: 'changed the password of',
  permission_grant: 'granted a permission to',
  permission_revoke: 'revoked a permission from',
  export: 'exported the data of',
  sessions_revoke: 'signed out the sessions of',
  erase: 'erased the data of',
};
export const NOUNS: Record<string, string> = {
  operation: 'operation',
  task: 'task',
  allocation: 'allocation',
  alarm: 'alarm',
  alert_rule: 'alert rule',
  user: 'user',
  role: 'role',
  api_key: 'API key',
  device: 'device',
  resource: 'resource',
  organization: 'organization',
  session: 'session',
};

type Changes = { before?: Record<string, unknown>; after?: Record<string, unknown>; details?: Record<string, unknown> } | null;

/** A readable line for an audit record: "Ada created operation “Pump check”". */
export function describeAudit(e: AuditEntry, names: Map<string, string>): { actor: string; text: string; detail: string | null } {
  const actor = e.actorType === 'system' ? 'System' : e.actorId ? (names.get(e.actorId) ?? 'Someone') : e.actorType === 'api_key' ? 'An API key' : 'Someone';
  const [domain = '', verb = ''] = e.action.split('.');
  const changes = e.changes as Changes;
  const raw = changes?.after?.name ?? changes?.before?.name ?? changes?.after?.title ?? changes?.before?.title ?? changes?.after?.message;
  // Personal data is masked in the log ("***"): then say nothing rather than stars.
  const name = typeof raw === 'string' && !/^\**$/.test(raw) ? raw : undefined;
  if (domain === 'security') return { actor, text: `security event: ${verb.replaceAll('_', ' ')}`, detail: null };
  const noun = NOUNS[e.entityType] ?? e.entityType.replaceAll('_', ' ');
  const v = VERBS[verb] ?? `${verb.replaceAll('_', ' ')}`;
  let detail: string | null = null;
  const from = changes?.before?.status;
  const to = changes?.after?.status;
  if (typeof to === 'string' && typeof from === 'string' && from !== to) {
    detail = `${STATUS_LABEL[from as keyof typeof STATUS_LABEL] ?? from} → ${STATUS_LABEL[to as keyof typeof STATUS_LABEL] ?? to}`;
  } else if (verb === 'update' && changes?.after) {
    const fields = Object.keys(changes.after).filter((k) => k !== 'updatedAt');
    if (fields.length) detail = `Changed ${fields.slice(0, 4).join(', ')}${fields.length > 4 ? '…' : ''}`;
  }
  const article = /^(a[^p]|API|e|i|o|un)/.test(noun) ? 'an' : 'a';
  return { actor, text: name ? `${v} ${noun} “${name}”` : `${v} ${article} ${noun}`, detail };
}

/** A vertical timeline of audit records. */
export function Timeline({ entries, names, compact, empty }: { entries: AuditEntry[]; names: Map<string, string>; compact?: boolean; empty?: ReactNode }) {
  if (!entries.length) return <>{empty}</>;
  return (
    <ol className="relative">
      {entries.map((e, i) => {
        const d = describeAudit(e, names);
        return (
          <li key={e.id} className="relative flex gap-3 pb-4 last:pb-0">
            {i < entries.length - 1 ? <span className="absolute top-4 bottom-0 left-[5px] w-px bg-line" aria-hidden="true" /> : null}
            <span
              className={
                'relative mt-1.5 size-[11px] shrink-0 rounded-full border-2 border-surface ' +
                (e.action.endsWith('.create') || e.action.endsWith('.raise')
                  ? 'bg-accent'
                  : e.action.endsWith('.delete') || e.action.startsWith('security')
                    ? 'bg-red-500'
                    : 'bg-line-strong')
              }
              aria-hidden="true"
            />
            <div className="min-w-0 flex-1">
              <p className={compact ? 'truncate text-[13px]' : 'text-[13px]'}>
                <span className="font-medium text-fg">{d.actor}</span> <span className="text-fg-muted">{d.text}</span>
              </p>
              {d.detail ? <p className="mt-0.5 truncate text-xs text-fg-muted">{d.detail}</p> : null}
              <time dateTime={e.createdAt} title={formatFull(e.createdAt)} className="text-xs text-fg-subtle">
                {formatRelative(e.createdAt)}
              </time>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
