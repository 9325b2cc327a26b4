import { getRouteApi } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { CheckCircle2, Copy, ExternalLink } from 'lucide-react';
import { call } from '../../../lib/api';
import { errorFor, fieldErrors } from '../../../lib/problem';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { Field, Input, Textarea } from '../../../components/ui/input';
import { Banner, errorMessage } from '../../../components/ui/states';
import { AttachmentPicker } from '../components';
import { publicApi } from '../files';
import type { UploadedFile } from '../types';
import { requesterLink } from './link';
import { PublicLayout } from './PublicLayout';

const supportFormRoute = getRouteApi('/support/$org');

function Done({ number, link }: { number: number; link: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Card className="p-6 sm:p-8" aria-labelledby="done-title">
      <div className="flex flex-col items-center text-center">
        <CheckCircle2 className="size-10 text-emerald-500" aria-hidden="true" />
        <h1 id="done-title" className="mt-3 text-xl font-semibold" data-testid="ticket-number">
          Ticket #{number} received
        </h1>
        <p className="mt-2 max-w-md text-[13px] text-fg-muted">
          We have sent you a confirmation by email. Keep this link to follow your ticket and reply to us without an account; anyone with the link can read the conversation.
        </p>
      </div>
      <div className="mt-6 flex flex-col gap-2">
        <label htmlFor="requester-link" className="text-[13px] font-medium">
          Your ticket link
        </label>
        <div className="flex gap-2">
          <Input id="requester-link" readOnly value={link} onFocus={(e) => e.target.select()} className="font-mono text-xs" />
          <Button
            onClick={() => {
              void navigator.clipboard?.writeText(link).then(() => setCopied(true));
            }}
          >
            <Copy aria-hidden="true" /> {copied ? 'Copied' : 'Copy'}
          </Button>
        </div>
        <a href={link} className="mt-2 inline-flex items-center gap-1.5 self-start text-[13px] font-medium text-accent hover:underline">
          Open your ticket <ExternalLink className="size-3.5" aria-hidden="true" />
        </a>
      </div>
    </Card>
  );
}

/** The public ticket form: no account needed. Attachments are uploaded first; the form sends their ids. */
export function SupportFormPage() {
  const { org } = supportFormRoute.useParams();
  const [form, setForm] = useState({ name: '', email: '', mobile: '', subject: '', description: '', category: '', website: '' });
  const [files, setFiles] = useState<UploadedFile[]>([]);
  const submit = useMutation({
    mutationFn: () =>
      call(
        publicApi.POST('/api/tickets/public', {
          params: { query: { org } },
          body: {
            name: form.name,
            email: form.email,
            subject: form.subject,
            description: form.description,
            ...(form.mobile.trim() ? { mobile: form.mobile.trim() } : {}),
            ...(form.category.trim() ? { category: form.category.trim() } : {}),
            ...(files.length ? { attachmentIds: files.map((f) => f.id) } : {}),
            ...(form.website ? { website: form.website } : {}),
          },
        }),
      ),
    onError: () => {
      // Focus the first field the API refused, so the message is read out with it.
      requestAnimationFrame(() => document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
    },
  });
  const errors = fieldErrors(submit.error);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    submit.mutate();
  };
  if (submit.data) {
    return (
      <PublicLayout title={`Ticket #${submit.data.number}`}>
        <Done number={submit.data.number} link={requesterLink(location.origin, submit.data.id, submit.data.token)} />
      </PublicLayout>
    );
  }
  const general = submit.error && !Object.keys(errors).some((k) => k !== '_form' && k !== 'website') ? errorMessage(submit.error) : null;
  return (
    <PublicLayout title="Contact support">
      <h1 className="text-xl font-semibold">Contact support</h1>
      <p className="mt-1 mb-6 text-[13px] text-fg-muted">Tell us what happened. You will get a ticket number and a link to follow it; no account is needed.</p>
      <Card className="p-5 sm:p-6">
        <form onSubmit={onSubmit} noValidate className="flex flex-col gap-4" aria-label="Support request">
          {general ? <Banner>{general}</Banner> : null}
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Your name" error={errors.name} required>
              <Input value={form.name} onChange={set('name')} autoComplete="name" maxLength={200} required />
            </Field>
            <Field label="Email" error={errors.email} required>
              <Input type="email" value={form.email} onChange={set('email')} autoComplete="email" maxLength={254} required />
            </Field>
          </div>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Mobile" hint="Optional. International format, e.g. +44 20 7946 0958" error={errorFor(errors, 'mobile')}>
              <Input type="tel" value={form.mobile} onChange={set('mobile')} autoComplete="tel" inputMode="tel" placeholder="+44 20 7946 0958" maxLength={32} />
            </Field>
            <Field label="Category" hint="Optional, e.g. Billing" error={errors.category}>
              <Input value={form.category} onChange={set('category')} maxLength={100} />
            </Field>
          </div>
          <Field label="Subject" error={errors.subject} required>
            <Input value={form.subject} onChange={set('subject')} maxLength={300} required />
          </Field>
          <Field label="Description" error={errors.description} required>
            <Textarea value={form.description} onChange={set('description')} rows={7} maxLength={50_000} required />
          </Field>
          {/* Honeypot: invisible to people and to screen readers, out of the tab order; bots fill it in. */}
          <div aria-hidden="true" className="absolute -left-[10000px] h-px w-px overflow-hidden">
            <label htmlFor="website">Website</label>
            <input id="website" name="website" type="text" tabIndex={-1} autoComplete="off" value={form.website} onChange={set('website')} />
          </div>
          <div className="flex flex-col gap-1.5">
            <span className="text-[13px] font-medium">Attachments</span>
            <AttachmentPicker files={files} onChange={setFiles} target={{ kind: 'form', org }} max={10} label="Add files" />
            {errorFor(errors, 'attachmentIds') ? <p className="text-xs text-red-600 dark:text-red-400">{errorFor(errors, 'attachmentIds')}</p> : <p className="text-xs text-fg-subtle">Images, PDF, office documents, ZIP or text, up to 10 files.</p>}
          </div>
          <div className="flex justify-end border-t border-line pt-4">
            <Button type="submit" variant="primary" size="lg" loading={submit.isPending}>
              Send request
            </Button>
          </div>
        </form>
      </Card>
    </PublicLayout>
  );
}
