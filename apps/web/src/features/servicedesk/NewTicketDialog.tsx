import { useState, type FormEvent } from 'react';
import { useNavigate } from '@tanstack/react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../../lib/api';
import { can } from '../../lib/permissions';
import { errorFor, fieldErrors } from '../../lib/problem';
import { useMe } from '../../lib/queries';
import { toast } from '../../lib/toast';
import type { Body } from '../../lib/types';
import { useDebounced } from '../../lib/use-debounced';
import { Button } from '../../components/ui/button';
import { Dialog } from '../../components/ui/dialog';
import { Field, Input, Select, Textarea } from '../../components/ui/input';
import { Banner, errorMessage } from '../../components/ui/states';
import { CHANNEL_LABEL, TICKET_PRIORITIES, TICKET_PRIORITY_LABEL } from './labels';
import { sdKeys } from './queries';
import type { TicketChannel, TicketPriority } from './types';

type NewTicket = Body<'/api/tickets', 'post'>;
const PLACED = ['subject', 'description', 'priority', 'channel', 'requester.userId', 'requester.name', 'requester.email', 'requester.mobile'];

/** People of the org matching what was typed (the actor's users:read reach). */
function usePeople(q: string, enabled: boolean) {
  return useQuery({
    queryKey: ['users', 'pick', q],
    queryFn: () => call(api.GET('/api/users', { params: { query: { limit: 20, ...(q ? { q } : {}) } } })),
    enabled,
    staleTime: 30_000,
  });
}

/** An agent opens a ticket for someone who called: a person of the organization, or a contact. */
export function NewTicketDialog({ onClose }: { onClose: () => void }) {
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const canPickPeople = can(me, 'users:read');
  const [kind, setKind] = useState<'person' | 'contact'>(canPickPeople ? 'person' : 'contact');
  const [who, setWho] = useState('');
  const [userId, setUserId] = useState('');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [mobile, setMobile] = useState('');
  const [subject, setSubject] = useState('');
  const [description, setDescription] = useState('');
  const [priority, setPriority] = useState<TicketPriority>('medium');
  const [channel, setChannel] = useState<TicketChannel>('phone');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const people = usePeople(useDebounced(who.trim(), 250), kind === 'person' && canPickPeople);
  const create = useMutation({
    mutationFn: (body: NewTicket) => call(api.POST('/api/tickets', { body })),
    onSuccess: (t) => {
      void qc.invalidateQueries({ queryKey: sdKeys.tickets });
      toast(`Ticket #${t.number} opened`, { tone: 'success', description: `For ${t.requester.name}` });
      onClose();
      void navigate({ to: '/tickets/$ticketId', params: { ticketId: t.id } });
    },
    onError: (err) => {
      const fe = fieldErrors(err);
      setErrors(fe);
      const placed = Object.keys(fe).length > 0 && Object.keys(fe).every((k) => PLACED.includes(k) || k === 'requester');
      setFormError(placed ? null : errorMessage(err));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    setErrors({});
    const requester: NewTicket['requester'] =
      kind === 'person'
        ? { ...(userId ? { userId } : {}), ...(mobile.trim() ? { mobile: mobile.trim() } : {}) }
        : { name: name.trim(), ...(email.trim() ? { email: email.trim() } : {}), ...(mobile.trim() ? { mobile: mobile.trim() } : {}) };
    if (kind === 'person' && !userId) {
      setErrors({ 'requester.userId': 'Choose the person who called' });
      return;
    }
    create.mutate({ subject: subject.trim(), description, priority, channel, requester });
  };
  const requesterError = errors.requester;
  return (
    <Dialog open onOpenChange={(o) => !o && onClose()} title="New ticket" description="For someone who called or came by: the ticket is theirs, you are its author." size="lg">
      <form onSubmit={submit} noValidate className="flex flex-col gap-4" data-testid="new-ticket-form">
        {formError ? <Banner>{formError}</Banner> : null}
        <fieldset className="flex flex-col gap-3 rounded-md border border-line p-3">
          <legend className="px-1 text-[13px] font-medium">Requester</legend>
          <div className="flex gap-4 text-[13px]" role="radiogroup" aria-label="Requester kind">
            <label className="flex items-center gap-2">
              <input type="radio" name="kind" checked={kind === 'person'} disabled={!canPickPeople} onChange={() => setKind('person')} /> A person of the organization
            </label>
            <label className="flex items-center gap-2">
              <input type="radio" name="kind" checked={kind === 'contact'} onChange={() => setKind('contact')} /> A contact
            </label>
          </div>
          {kind === 'person' ? (
            <div className="grid gap-3 sm:grid-cols-2">
              <Field label="Find a person" hint="Name or email">
                <Input type="search" value={who} onChange={(e) => setWho(e.target.value)} placeholder="Search people" autoComplete="off" />
              </Field>
              <Field label="Person" required error={errorFor(errors, 'requester.userId') ?? requesterError}>
                <Select name="userId" value={userId} onChange={(e) => setUserId(e.target.value)}>
                  <option value="">{people.isLoading ? 'Loading…' : 'Choose…'}</option>
                  {(people.data?.data ?? []).map((u) => (
                    <option key={u.id} value={u.id}>
                      {u.name} · {u.email}
                    </option>
                  ))}
                </Select>
              </Field>
              <Field label="Mobile (optional)" hint="To reach them by SMS or WhatsApp, in international form" error={errorFor(errors, 'requester.mobile')}>
                <Input name="mobile" type="tel" value={mobile} onChange={(e) => setMobile(e.target.value)} placeholder="+44 20 7946 0958" />
              </Field>
            </div>
          ) : (
            <div className="grid gap-3 sm:grid-cols-2">
              <Field label="Name" required error={errorFor(errors, 'requester.name') ?? requesterError}>
                <Input name="name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
              </Field>
              <Field label="Email" hint="An email address or a mobile number" error={errorFor(errors, 'requester.email')}>
                <Input name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" />
              </Field>
              <Field label="Mobile" hint="International form, e.g. +44 20 7946 0958" error={errorFor(errors, 'requester.mobile')}>
                <Input name="mobile" type="tel" value={mobile} onChange={(e) => setMobile(e.target.value)} />
              </Field>
            </div>
          )}
        </fieldset>
        <Field label="Subject" required error={errorFor(errors, 'subject')}>
          <Input name="subject" value={subject} onChange={(e) => setSubject(e.target.value)} placeholder="What is it about?" />
        </Field>
        <Field label="Description" error={errorFor(errors, 'description')}>
          <Textarea name="description" value={description} onChange={(e) => setDescription(e.target.value)} rows={4} placeholder="What they said, in their words." />
        </Field>
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label="Priority" error={errorFor(errors, 'priority')}>
            <Select name="priority" value={priority} onChange={(e) => setPriority(e.target.value as TicketPriority)}>
              {TICKET_PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {TICKET_PRIORITY_LABEL[p]}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="Came in by" error={errorFor(errors, 'channel')}>
            <Select name="channel" value={channel} onChange={(e) => setChannel(e.target.value as TicketChannel)}>
              {(['phone', 'email', 'web', 'sms', 'whatsapp', 'api'] as TicketChannel[]).map((c) => (
                <option key={c} value={c}>
                  {CHANNEL_LABEL[c]}
                </option>
              ))}
            </Select>
          </Field>
        </div>
        <div className="flex justify-end gap-2 border-t border-line pt-3">
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" loading={create.isPending}>
            Open ticket
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
