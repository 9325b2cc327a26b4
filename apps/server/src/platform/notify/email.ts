import nodemailer from 'nodemailer';
import type { Transport } from './notify.ts';

/** Email over SMTP (SMTP_URL). Threading headers travel in the notification's meta. */
export function smtpTransport(url: string, from: string): Transport {
  const transporter = nodemailer.createTransport(url);
  return {
    async send(n) {
      const meta = n.meta as { messageId?: string; inReplyTo?: string; references?: string[]; replyTo?: string };
      const info = await transporter.sendMail({
        from,
        to: n.to,
        subject: n.subject,
        text: n.body,
        ...(meta.messageId ? { messageId: meta.messageId } : {}),
        ...(meta.inReplyTo ? { inReplyTo: meta.inReplyTo } : {}),
        ...(meta.references?.length ? { references: meta.references } : {}),
        ...(meta.replyTo ? { replyTo: meta.replyTo } : {}),
      });
      return { transport: 'smtp', messageId: info.messageId };
    },
  };
}
