import { cloneElement, forwardRef, isValidElement, useId, type InputHTMLAttributes, type ReactElement, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import { cn, merge } from '../../lib/cn';

const control =
  'rounded-md border border-line bg-surface text-[13px] text-fg shadow-card placeholder:text-fg-subtle transition-colors ' +
  'hover:border-line-strong focus-visible:outline-none focus-visible:border-accent focus-visible:ring-3 focus-visible:ring-accent/25 ' +
  'disabled:cursor-not-allowed disabled:opacity-60 aria-[invalid=true]:border-danger aria-[invalid=true]:focus-visible:ring-danger/25';

export const Input = forwardRef<HTMLInputElement, InputHTMLAttributes<HTMLInputElement>>(function Input({ className, ...rest }, ref) {
  return <input ref={ref} className={merge(cn(control, 'h-8 w-full px-2.5'), className)} {...rest} />;
});

export const Textarea = forwardRef<HTMLTextAreaElement, TextareaHTMLAttributes<HTMLTextAreaElement>>(function Textarea({ className, ...rest }, ref) {
  return <textarea ref={ref} className={merge(cn(control, 'min-h-20 w-full px-2.5 py-2 leading-relaxed'), className)} {...rest} />;
});

export const Select = forwardRef<HTMLSelectElement, SelectHTMLAttributes<HTMLSelectElement>>(function Select({ className, children, ...rest }, ref) {
  return (
    <select
      ref={ref}
      className={merge(cn(control, 'select-chevron h-8 w-full appearance-none pr-8 pl-2.5'), className)}
      {...rest}
    >
      {children}
    </select>
  );
});

export function Label({ htmlFor, children, className }: { htmlFor?: string; children: ReactNode; className?: string }) {
  return (
    <label htmlFor={htmlFor} className={cn('text-[13px] font-medium text-fg', className)}>
      {children}
    </label>
  );
}

/**
 * A labelled form control with its hint and error. The child control gets the id, aria-invalid
 * and aria-describedby, so the error is announced with the field.
 */
export function Field({
  label,
  hint,
  error,
  required,
  children,
  addon,
  className,
}: {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  required?: boolean;
  /** Beside the control (e.g. a "Generate" button). */
  addon?: ReactNode;
  children: ReactElement<{ id?: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string; 'aria-required'?: boolean }>;
  className?: string;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(' ') || undefined;
  const child = isValidElement(children)
    ? cloneElement(children, {
        id: children.props.id ?? id,
        'aria-invalid': error ? true : undefined,
        'aria-describedby': describedBy,
        ...(required ? { 'aria-required': true } : {}),
      })
    : children;
  return (
    <div className={cn('flex flex-col gap-1.5', className)}>
      <Label htmlFor={children.props.id ?? id}>
        {label}
        {required ? <span className="ml-0.5 text-fg-subtle" aria-hidden="true">*</span> : null}
      </Label>
      {addon ? (
        <div className="flex gap-2">
          {child}
          {addon}
        </div>
      ) : (
        child
      )}
      {error ? (
        <p id={errorId} className="text-xs text-red-600 dark:text-red-400" data-field-error>
          {error}
        </p>
      ) : hint ? (
        <p id={hintId} className="text-xs text-fg-subtle">
          {hint}
        </p>
      ) : null}
    </div>
  );
}
