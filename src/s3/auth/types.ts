import type { IncomingHttpHeaders } from 'node:http';

export interface AuthRequest {
  method: string;
  /** path exactly as on the wire, before '?', still percent-encoded */
  rawPath: string;
  /** exactly as on the wire after '?', '' if none */
  rawQuery: string;
  /** lower-cased names (Node's `req.headers`) */
  headers: IncomingHttpHeaders;
  /**
   * Optional: Node's `req.rawHeaders`. Only used to canonicalise a signed header that was sent
   * more than once (SigV4 joins the values with ',', Node's `headers` joins them with ', ').
   */
  rawHeaders?: readonly string[];
  /** Optional: the port the request arrived on, for a signed Host header sent without it */
  localPort?: number;
}

export interface Credentials { accessKeyId: string; secretAccessKey: string; accountId: string }

/** undefined → 403 InvalidAccessKeyId (unknown or revoked key) */
export type CredentialLookup = (accessKeyId: string) => Credentials | undefined;

export type PayloadMode =
  | { type: 'unsigned' }                         // UNSIGNED-PAYLOAD, presigned, or anonymous: body not hashed
  | { type: 'sha256'; sha256: string }           // hex SHA-256 (lower-case) the body must hash to
  | {
      type: 'streaming'; signed: boolean; trailer: boolean; decodedLength?: number;
      /** for signed streaming: what chunk signatures chain from */
      seedSignature?: string; signingKey?: Buffer; amzDate?: string; scope?: string;
    };

export interface AuthResult {
  /** null = anonymous request */
  principal: { accessKeyId: string; accountId: string } | null;
  payload: PayloadMode;
  presigned: boolean;
}
