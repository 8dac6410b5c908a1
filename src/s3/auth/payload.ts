import { createHash, type Hash } from 'node:crypto';
import { finished, type Readable, Transform, type TransformCallback } from 'node:stream';
import { isS3Error, S3Error } from '../errors.ts';
import { AwsChunkedDecoder } from './aws-chunked.ts';
import { type ChecksumPlan, checksumPlan } from './checksum-plan.ts';
import { type ChecksumAlgorithm, checksumHeader, decodeChecksum, type Digester, digester } from './checksums.ts';
import { SignatureChain } from './signature-chain.ts';
import type { AuthRequest, AuthResult, PayloadMode } from './types.ts';

export interface VerifiedBody {
  /** the decoded payload bytes; emits 'error' (an S3Error) instead of 'end' if any check fails */
  body: Readable;
  /** after body has ended: the verified flexible checksum, if the request carried one */
  checksum(): { algorithm: ChecksumAlgorithm; value: string /* base64 */ } | undefined;
}

/**
 * Wraps the request body: decodes aws-chunked framing, verifies chunk/trailer signatures, the
 * x-amz-content-sha256 hash, Content-MD5 and the flexible checksum, streaming with backpressure.
 * Checks that need the whole body run before 'end', so a consumer that commits on 'end' never
 * commits a bad body. Malformed checksum headers throw S3Error synchronously, before any reading.
 */
export function verifiedBody(source: Readable, req: AuthRequest, auth: AuthResult): VerifiedBody {
  const verifier = new BodyVerifier(auth.payload, checksumPlan(req, auth));
  source.on('error', (err) => verifier.destroy(asBodyError(err)));
  finished(source, { writable: false }, (err) => {
    if (err && !verifier.destroyed) verifier.destroy(asBodyError(err));
  });
  source.pipe(verifier);
  return { body: verifier, checksum: () => verifier.verified };
}

function asBodyError(err: unknown): S3Error {
  if (isS3Error(err)) return err;
  const e = new S3Error('IncompleteBody', 'The request body was not received completely.');
  e.cause = err;
  return e;
}

function chainFor(mode: Extract<PayloadMode, { type: 'streaming' }>): SignatureChain {
  if (!mode.signingKey || mode.seedSignature === undefined || mode.amzDate === undefined || mode.scope === undefined) {
    throw new S3Error('InternalError', 'Signed streaming payload without its signing context.');
  }
  return new SignatureChain(mode.signingKey, mode.amzDate, mode.scope, mode.seedSignature);
}

class BodyVerifier extends Transform {
  verified: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  private readonly decoder: AwsChunkedDecoder | undefined;
  private readonly decodedLength: number | undefined;
  private readonly sha256: Hash | undefined;
  private readonly md5: Digester | undefined;
  private readonly flexible: Digester | undefined;
  private received = 0;
  private readonly sink = (data: Buffer): void => this.accept(data);

  constructor(private readonly mode: PayloadMode, private readonly plan: ChecksumPlan) {
    super();
    if (mode.type === 'streaming') {
      this.decoder = new AwsChunkedDecoder(mode.signed ? chainFor(mode) : undefined, mode.trailer);
      this.decodedLength = mode.decodedLength;
    }
    if (mode.type === 'sha256') this.sha256 = createHash('sha256');
    if (plan.md5) this.md5 = digester('MD5');
    if (plan.flexible) this.flexible = digester(plan.flexible.algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      if (this.decoder) this.decoder.write(chunk, this.sink);
      else this.accept(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.decoder?.end();
      this.finalChecks();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private accept(data: Buffer): void {
    this.received += data.length;
    if (this.decodedLength !== undefined && this.received > this.decodedLength) {
      throw new S3Error('IncompleteBody', 'The decoded body is longer than x-amz-decoded-content-length.');
    }
    this.sha256?.update(data);
    this.md5?.update(data);
    this.flexible?.update(data);
    this.push(data);
  }

  private finalChecks(): void {
    if (this.decodedLength !== undefined && this.received !== this.decodedLength) {
      throw new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header.');
    }
    if (this.sha256 && this.mode.type === 'sha256') {
      const computed = this.sha256.digest('hex');
      if (computed !== this.mode.sha256) {
        throw new S3Error('XAmzContentSHA256Mismatch', undefined, { ClientComputedContentSHA256: this.mode.sha256, S3ComputedContentSHA256: computed });
      }
    }
    if (this.md5 && this.plan.md5) {
      const computed = this.md5.digest();
      if (!computed.equals(this.plan.md5)) {
        throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', {
          ExpectedDigest: this.plan.md5.toString('base64'), CalculatedDigest: computed.toString('base64'),
        });
      }
    }
    this.checkFlexible();
  }

  private checkFlexible(): void {
    const flexible = this.plan.flexible;
    for (const name of this.decoder?.trailers.keys() ?? []) {
      if (name.startsWith('x-amz-checksum-') && name !== flexible?.trailer) {
        throw new S3Error('InvalidRequest', `The trailing header ${name} was not declared in x-amz-trailer.`);
      }
    }
    if (!flexible || !this.flexible) return;
    let expected = flexible.expected;
    if (flexible.trailer !== undefined) {
      const value = this.decoder?.trailers.get(flexible.trailer);
      if (value === undefined) throw new S3Error('InvalidRequest', `The trailing header ${flexible.trailer} declared in x-amz-trailer was not received.`);
      expected = decodeChecksum(flexible.algorithm, value);
      if (!expected) throw new S3Error('InvalidRequest', `Value for ${checksumHeader(flexible.algorithm)} trailing header is invalid.`);
    }
    const computed = this.flexible.digest();
    if (expected && !computed.equals(expected)) {
      throw new S3Error('BadDigest', `The ${flexible.algorithm} you specified did not match the calculated checksum.`);
    }
    this.verified = { algorithm: flexible.algorithm, value: computed.toString('base64') };
  }
}
