import type { RequestContext } from '../server/context.ts';
import type { XmlNode } from './xml.ts';

/** Owner / Initiator elements of listings: one account lookup per account per request. */
export function ownerXml(ctx: RequestContext): (accountId: string) => XmlNode {
  const cache = new Map<string, XmlNode>();
  return (accountId) => {
    let node = cache.get(accountId);
    if (!node) {
      const account = ctx.services.meta.getAccount(accountId);
      node = { ID: account?.canonicalUserId ?? '', DisplayName: account?.name };
      cache.set(accountId, node);
    }
    return node;
  };
}
