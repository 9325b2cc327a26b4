import { useState } from 'react';
import { Field, Input } from '../../components/ui/input';

/** The server's rule (platform/auth/password.ts); the server checks the rest (common passwords, the email in it). */
export const PASSWORD_MIN = 12;

/** What is wrong with a new password before it is sent, by field (`password`, `confirm`). */
export function newPasswordErrors(password: string, confirm: string): Record<string, string> {
  const out: Record<string, string> = {};
  if ([...password].length < PASSWORD_MIN) out.password = `The password must be at least ${PASSWORD_MIN} characters.`;
  if (confirm !== password) out.confirm = 'The two passwords do not match.';
  return out;
}

/** A new password typed twice, with its errors under each field. */
export function NewPasswordFields({
  password,
  confirm,
  onPassword,
  onConfirm,
  errors,
}: {
  password: string;
  confirm: string;
  onPassword: (v: string) => void;
  onConfirm: (v: string) => void;
  errors: Record<string, string>;
}) {
  const [shown, setShown] = useState(false);
  return (
    <>
      <Field
        label="New password"
        required
        hint={`${PASSWORD_MIN} characters or more; not a common password, and not your email address.`}
        error={errors.password}
        addon={
          <button type="button" className="text-[13px] font-medium text-accent hover:underline" onClick={() => setShown((v) => !v)} aria-pressed={shown}>
            {shown ? 'Hide' : 'Show'}
          </button>
        }
      >
        <Input type={shown ? 'text' : 'password'} name="password" autoComplete="new-password" value={password} onChange={(e) => onPassword(e.target.value)} className="flex-1" />
      </Field>
      <Field label="Repeat the new password" required error={errors.confirm}>
        <Input type={shown ? 'text' : 'password'} name="confirm" autoComplete="new-password" value={confirm} onChange={(e) => onConfirm(e.target.value)} />
      </Field>
    </>
  );
}
