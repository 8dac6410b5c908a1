/** The authenticated caller of a request, as the signature check established it. */
export interface Principal {
  accountId: string;
  canonicalUserId: string;
  accessKeyId: string;
}

/** `null` is the anonymous (unsigned) caller. */
export type Caller = Principal | null;
