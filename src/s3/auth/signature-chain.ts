import { EMPTY_SHA256 } from './constants.ts';
import { sha256Hex, signatureMatches } from './signing.ts';

/**
 * The running signature of a signed aws-chunked body: each chunk's signature covers the
 * previous one, starting from the request (seed) signature.
 */
export class SignatureChain {
  private previous: string;

  constructor(private readonly key: Buffer, private readonly amzDate: string, private readonly scope: string, seedSignature: string) {
    this.previous = seedSignature;
  }

  /** Verifies (and advances past) a chunk whose data hashes to `dataSha256Hex`. */
  chunk(dataSha256Hex: string, signature: string): boolean {
    const text = `AWS4-HMAC-SHA256-PAYLOAD\n${this.amzDate}\n${this.scope}\n${this.previous}\n${EMPTY_SHA256}\n${dataSha256Hex}`;
    return this.advance(text, signature);
  }

  /** Verifies the trailer; `canonical` is every trailing header but the signature, as `name:value\n`. */
  trailer(canonical: string, signature: string): boolean {
    const text = `AWS4-HMAC-SHA256-TRAILER\n${this.amzDate}\n${this.scope}\n${this.previous}\n${sha256Hex(canonical)}`;
    return this.advance(text, signature);
  }

  private advance(text: string, signature: string): boolean {
    if (!signatureMatches(this.key, text, signature)) return false;
    this.previous = signature;
    return true;
  }
}
