import type { MessagingProvider } from '../messaging/provider.ts';
import type { Transport } from './notify.ts';

/** WhatsApp or SMS through a messaging provider; the provider's message id is kept in the log. */
export function chatTransport(provider: MessagingProvider): Transport {
  return {
    async send(n) {
      const { messageId } = await provider.send(n.to, n.body);
      return { transport: provider.provider, providerMessageId: messageId };
    },
  };
}
