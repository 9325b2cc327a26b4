import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, createUser, tokenFor } from './support/api.ts';
import { expectNoErrors, launch, loginAndWait, newContext, shot } from './support/browser.ts';
import { linkIn } from './support/mailbox.ts';

/**
 * The identity lifecycle in the console: an admin invites a person, who accepts from the emailed
 * link and is signed in; a user who forgot their password resets it from the emailed link and signs
 * in with the new one. The links are read from the mail the server sent (a local SMTP stand-in).
 */
let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

const stamp = () => Date.now().toString(36);
const NEW_PASSWORD = 'Juniper-Harbor-Quartz-2048';

describe('invitations', () => {
  it('admin invites from the users page → the invitee accepts from the email → signed in; the pending list follows', async () => {
    const email = `invitee.${stamp()}@imsop.test`;
    const admin = await newContext(browser);
    await loginAndWait(admin.page, inject('adminEmail'), inject('adminPassword'));
    await admin.page.goto('/admin/users');
    await admin.page.getByRole('button', { name: 'Invite', exact: true }).click();
    const dialog = admin.page.getByRole('dialog', { name: 'Invite a person' });
    await dialog.getByLabel('Email').fill(email);
    await dialog.getByLabel('Department').fill('North');
    await dialog.getByRole('checkbox', { name: /Agent/ }).check();
    await shot(admin.page, 'lifecycle-01-invite-dialog');
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = admin.page.getByTestId('invitation-row').filter({ hasText: email });
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain('agent');

    // Inviting the address again says it is pending and offers to resend that one.
    await admin.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await dialog.getByLabel('Email').fill(email.toUpperCase());
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    await dialog.getByText('This address already has a pending invitation.').waitFor();
    await shot(admin.page, 'lifecycle-02-invite-pending');
    await dialog.getByRole('button', { name: 'Resend it' }).click();
    await dialog.waitFor({ state: 'detached' });
    await shot(admin.page, 'lifecycle-03-pending-invitations');

    // The first link was replaced by the resend: it says so.
    const mailbox = inject('mailbox');
    const first = await linkIn(mailbox, email, /https?:\/\/\S+\/invite\?token=\S+/, 1);
    const second = await linkIn(mailbox, email, /https?:\/\/\S+\/invite\?token=\S+/, 2);
    expect(first.startsWith(inject('baseUrl'))).toBe(true);
    const invitee = await newContext(browser);
    await invitee.page.goto(first);
    await invitee.page.getByRole('heading', { name: 'Invitation no longer valid' }).waitFor();
    await shot(invitee.page, 'lifecycle-04-invite-outdated');

    await invitee.page.goto(second);
    await invitee.page.getByRole('heading', { name: /^Join / }).waitFor();
    expect(await invitee.page.getByTestId('invite-email').textContent()).toBe(email);
    // Validation errors: a short password and a mismatch, said under the fields, before any request.
    await invitee.page.getByLabel('Your name').fill('Ines Invitee');
    await invitee.page.getByLabel(/^New password/).fill('short');
    await invitee.page.getByLabel('Repeat the new password').fill('shorter');
    await invitee.page.getByRole('button', { name: 'Accept and sign in' }).click();
    await invitee.page.getByText('The password must be at least 12 characters.').waitFor();
    await invitee.page.getByText('The two passwords do not match.').waitFor();
    await shot(invitee.page, 'lifecycle-05-invite-accept-errors');
    // The server's rule too: a common password.
    await invitee.page.getByLabel(/^New password/).fill('password1234');
    await invitee.page.getByLabel('Repeat the new password').fill('password1234');
    await invitee.page.getByRole('button', { name: 'Accept and sign in' }).click();
    await invitee.page.getByText(/common password/).waitFor();
    await invitee.page.getByLabel(/^New password/).fill(NEW_PASSWORD);
    await invitee.page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await invitee.page.getByRole('button', { name: 'Accept and sign in' }).click();
    await invitee.page.getByRole('heading', { level: 1, name: /^Good (morning|afternoon|evening)/ }).waitFor();
    // Signed in for good: a reload keeps the session (the refresh cookie was set).
    await invitee.page.reload();
    await invitee.page.getByRole('heading', { level: 1, name: /^Good (morning|afternoon|evening)/ }).waitFor();
    expect(await tokenFor(email, NEW_PASSWORD)).toBeTruthy();
    // The same link again: already accepted, with the way to sign in.
    await invitee.page.goto(second);
    await invitee.page.getByRole('heading', { name: 'Invitation already accepted' }).waitFor();
    expectNoErrors(invitee, [400, 409]);
    await invitee.context.close();

    // Accepted: no longer pending; a revoke from the list works on another one.
    await admin.page.reload();
    await admin.page.getByRole('heading', { name: 'Pending invitations' }).waitFor();
    await expect.poll(() => admin.page.getByTestId('invitation-row').filter({ hasText: email }).count()).toBe(0);
    const other = `revoked.${stamp()}@imsop.test`;
    await admin.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await dialog.getByLabel('Email').fill(other);
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    await dialog.waitFor({ state: 'detached' });
    await admin.page.getByRole('button', { name: `Revoke the invitation to ${other}` }).click();
    await admin.page.getByRole('button', { name: 'Revoke invitation' }).click();
    await expect.poll(() => admin.page.getByTestId('invitation-row').filter({ hasText: other }).count()).toBe(0);
    const revokedLink = await linkIn(mailbox, other, /https?:\/\/\S+\/invite\?token=\S+/);
    const late = await newContext(browser);
    await late.page.goto(revokedLink);
    await late.page.getByRole('heading', { name: 'Invitation no longer valid' }).waitFor();
    await late.context.close();
    expectNoErrors(admin, [409]);
    await admin.context.close();
  }, 180_000);
});

describe('password reset', () => {
  it('forgot password → the emailed link → a new password → sign in with it', async () => {
    const user = await createUser(await adminToken(), ['agent'], 'Rita Reset');
    const w = await newContext(browser);
    const { page } = w;
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await page.getByLabel('Email').fill(user.email);
    await shot(page, 'lifecycle-06-forgot-password');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const answered = await page.getByRole('status').textContent();
    await shot(page, 'lifecycle-07-forgot-sent');
    // An unknown address gets the very same answer.
    await page.getByRole('button', { name: 'Ask again' }).click();
    await page.getByLabel('Email').fill(`nobody.${stamp()}@imsop.test`);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    expect((await page.getByRole('status').textContent())!.replace(/\S+@imsop\.test/, '@')).toBe(answered!.replace(/\S+@imsop\.test/, '@'));

    const link = await linkIn(inject('mailbox'), user.email, /https?:\/\/\S+\/reset-password\?token=\S+/);
    expect(link.startsWith(inject('baseUrl'))).toBe(true);
    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await page.getByLabel(/^New password/).fill(NEW_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD + 'x');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText('The two passwords do not match.').waitFor();
    await shot(page, 'lifecycle-08-reset-errors');
    await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByRole('heading', { name: 'Password changed' }).waitFor();
    await shot(page, 'lifecycle-09-reset-done');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await loginAndWait(page, user.email, NEW_PASSWORD);
    // The link works once.
    await page.goto(link);
    await page.getByLabel(/^New password/).fill('Another-Password-4096');
    await page.getByLabel('Repeat the new password').fill('Another-Password-4096');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByRole('heading', { name: 'This link does not work' }).waitFor();
    await shot(page, 'lifecycle-10-reset-used');
    expectNoErrors(w, [400]);
    await w.context.close();
  }, 120_000);
});
