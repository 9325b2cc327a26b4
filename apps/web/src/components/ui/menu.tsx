import type { ReactNode } from 'react';
import { DropdownMenu as M } from 'radix-ui';
import { cn } from '../../lib/cn';

export const Menu = M.Root;
export const MenuTrigger = M.Trigger;

export function MenuContent({ children, align = 'end', className }: { children: ReactNode; align?: 'start' | 'end' | 'center'; className?: string }) {
  return (
    <M.Portal>
      <M.Content
        align={align}
        sideOffset={6}
        className={cn('z-50 min-w-48 rounded-lg border border-line bg-raised p-1 text-[13px] shadow-pop focus:outline-none', className)}
      >
        {children}
      </M.Content>
    </M.Portal>
  );
}

const item =
  'relative flex h-8 cursor-default items-center gap-2 rounded-md px-2 text-fg outline-none select-none data-[disabled]:opacity-50 data-[highlighted]:bg-hover [&_svg]:size-4 [&_svg]:text-fg-subtle';

export function MenuItem({ children, onSelect, danger, disabled }: { children: ReactNode; onSelect?: (e: Event) => void; danger?: boolean; disabled?: boolean }) {
  return (
    <M.Item className={cn(item, danger && 'text-red-600 dark:text-red-400 [&_svg]:text-current')} {...(onSelect ? { onSelect } : {})} disabled={disabled ?? false}>
      {children}
    </M.Item>
  );
}

export function MenuRadio({ value, onValueChange, options }: { value: string; onValueChange: (v: string) => void; options: { value: string; label: ReactNode; icon?: ReactNode }[] }) {
  return (
    <M.RadioGroup value={value} onValueChange={onValueChange}>
      {options.map((o) => (
        <M.RadioItem key={o.value} value={o.value} className={cn(item, 'pr-7')}>
          {o.icon}
          {o.label}
          <M.ItemIndicator className="absolute right-2 size-1.5 rounded-full bg-accent" />
        </M.RadioItem>
      ))}
    </M.RadioGroup>
  );
}

export function MenuLabel({ children }: { children: ReactNode }) {
  return <M.Label className="px-2 pt-1.5 pb-1 text-[11px] font-medium tracking-wide text-fg-subtle uppercase">{children}</M.Label>;
}
export function MenuSeparator() {
  return <M.Separator className="-mx-1 my-1 h-px bg-line" />;
}
export const MenuItemLink = M.Item;
