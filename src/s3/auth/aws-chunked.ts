import { createHash, type Hash } from 'node:crypto';
import { S3Error } from '../errors.ts';
import type { SignatureChain } from './signature-chain.ts';

/**
 * Chunk data is streamed through, never buffered, so this cap is not what bounds memory; it
 * rejects absurd sizes early and bounds how much unverified data a signed chunk can carry.
 */
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;
const MAX_LINE = 4096;
const MAX_TRAILER_BYTES = 16 * 1024;

const malformed = (what: string): S3Error => new S3Error('InvalidRequest', `Malformed aws-chunked body: ${what}.`);
const badSignature = (what: string): S3Error =>
  new S3Error('SignatureDoesNotMatch', `The ${what} signature we calculated does not match the signature you provided.`);

const CHUNK_HEADER = /^([0-9a-fA-F]{1,16})[ \t]*(?:;(.*))?$/;

type State = 'size' | 'data' | 'data-cr' | 'data-lf' | 'trailer' | 'done';

/**
 * Incremental aws-chunked decoder:
 *   `<hex-size>[;chunk-signature=<sig>]\r\n<data>\r\n` … `0[;chunk-signature=<sig>]\r\n`
 *   then trailing headers `name:value\r\n`… (with `x-amz-trailer-signature` when signed) and `\r\n`.
 * Accepts input split anywhere. Throws S3Error on the first fault.
 */
export class AwsChunkedDecoder {
  /** Trailing headers received (lower-cased names), the trailer signature excluded. */
  readonly trailers = new Map<string, string>();
  private state: State = 'size';
  private line = '';
  private remaining = 0;
  private signature = '';
  private chunkHash: Hash | undefined;
  private trailerBytes = 0;
  private trailerSignature: string | undefined;

  /** `chain`: verify chunk signatures (signed streaming). `expectTrailer`: trailing headers may follow. */
  constructor(private readonly chain: SignatureChain | undefined, private readonly expectTrailer: boolean) {}

  write(buf: Buffer, emit: (data: Buffer) => void): void {
    let pos = 0;
    while (pos < buf.length) {
      switch (this.state) {
        case 'size':
        case 'trailer': {
          const nl = buf.indexOf(0x0a, pos);
          const stop = nl === -1 ? buf.length : nl;
          this.line += buf.toString('latin1', pos, stop);
          if (this.line.length > MAX_LINE) throw malformed('line too long');
          pos = nl === -1 ? buf.length : nl + 1;
          if (nl !== -1) this.takeLine();
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, buf.length - pos);
          const data = buf.subarray(pos, pos + n);
          this.chunkHash?.update(data);
          emit(data);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.verifyChunk(this.chunkHash?.digest('hex'));
            this.state = 'data-cr';
          }
          break;
        }
        case 'data-cr':
        case 'data-lf': {
          const expected = this.state === 'data-cr' ? 0x0d : 0x0a;
          if (buf[pos] !== expected) throw malformed('chunk data not followed by CRLF');
          pos++;
          this.state = this.state === 'data-cr' ? 'data-lf' : 'size';
          break;
        }
        case 'done': {
          const b = buf[pos];
          if (b !== 0x0d && b !== 0x0a) throw malformed('data after the end of the body');
          pos++;
          break;
        }
      }
    }
  }

  /** The source has ended: throws if the body was cut short. */
  end(): void {
    if (this.state === 'trailer') {
      // Tolerate a missing final CRLF after the last trailing header.
      if (this.line !== '') this.takeLine();
      if (this.state === 'trailer') this.finishTrailers();
    }
    if (this.state !== 'done') throw new S3Error('IncompleteBody', 'The request body ended before the final aws-chunked chunk.');
  }

  private takeLine(): void {
    const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
    this.line = '';
    if (this.state === 'size') this.chunkHeader(line);
    else this.trailerLine(line);
  }

  private chunkHeader(line: string): void {
    const m = CHUNK_HEADER.exec(line);
    if (!m) throw malformed('invalid chunk header');
    const size = parseInt(m[1]!, 16);
    if (size > MAX_CHUNK_SIZE) throw malformed(`chunk larger than ${MAX_CHUNK_SIZE} bytes`);
    let signature: string | undefined;
    for (const ext of (m[2] ?? '').split(';')) {
      const eq = ext.indexOf('=');
      if (eq !== -1 && ext.slice(0, eq).trim() === 'chunk-signature') signature = ext.slice(eq + 1).trim();
    }
    if (this.chain) {
      if (signature === undefined) throw badSignature('chunk');
      this.signature = signature;
      this.chunkHash = createHash('sha256');
    }
    if (size === 0) {
      this.verifyChunk(this.chunkHash?.digest('hex'));
      this.state = 'trailer';
    } else {
      this.remaining = size;
      this.state = 'data';
    }
  }

  private verifyChunk(dataSha256: string | undefined): void {
    if (this.chain && !this.chain.chunk(dataSha256 ?? '', this.signature)) throw badSignature('chunk');
  }

  private trailerLine(line: string): void {
    this.trailerBytes += line.length + 2;
    if (this.trailerBytes > MAX_TRAILER_BYTES) throw malformed('trailer too large');
    if (line === '') {
      // Blank lines before the first trailing header are skipped (the AWS docs' example sends the
      // final chunk's empty-data CRLF first); a blank after trailers, or with none expected, ends the body.
      if (this.trailers.size > 0 || this.trailerSignature !== undefined || !this.expectTrailer) this.finishTrailers();
      return;
    }
    if (!this.expectTrailer) throw malformed('trailing headers sent but not declared by x-amz-content-sha256');
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('invalid trailing header');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (this.trailers.has(name) || (name === 'x-amz-trailer-signature' && this.trailerSignature !== undefined)) {
      throw malformed(`trailing header ${name} repeated`);
    }
    if (name === 'x-amz-trailer-signature') this.trailerSignature = value;
    else this.trailers.set(name, value);
  }

  private finishTrailers(): void {
    if (this.chain && this.expectTrailer) {
      const canonical = [...this.trailers].map(([n, v]) => `${n}:${v}\n`).join('');
      if (this.trailerSignature === undefined || !this.chain.trailer(canonical, this.trailerSignature)) throw badSignature('trailer');
    }
    this.state = 'done';
  }
}
