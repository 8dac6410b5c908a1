/**
 * bittorrent-protocol's Wire with the guards it lacks (see limits.ts) and two small controls the seeder
 * needs: parsing can be paused while a torrent is looked up, and the extension handshake is held back
 * until our bitfield / have_all is out, since BEP 6 wants that to be the first message after the handshake
 * (the library sends the extension handshake first on incoming connections).
 */
import Wire from 'bittorrent-protocol';
import { MAX_BUFFERED_INPUT, MAX_MESSAGE_LENGTH } from './limits.ts';

const noop = (): void => {};

export class SeederWire extends Wire {
  /** why we stopped talking to this peer; set once, then the 'violation' event fires */
  violation: string | undefined;
  private holdExtended = true;
  private extendedHeld = false;
  private rechecking = false;

  /**
   * The library waits for however many bytes the 4-byte prefix names. Its own reader is signed, so a
   * prefix ≥ 2^31 even reads as negative and passes as a keep-alive; read it unsigned and refuse big ones.
   */
  override _onMessageLength(buffer: Uint8Array): void {
    const length = Buffer.from(buffer.buffer, buffer.byteOffset, 4).readUInt32BE(0);
    if (length > MAX_MESSAGE_LENGTH) {
      this.violate(`message length ${length}`);
      return;
    }
    super._onMessageLength(buffer);
  }

  /** Input is buffered until a whole message is there (also while paused): cap it. */
  override _write(data: Uint8Array, cb: (err?: Error | null) => void): void {
    if (this.violation !== undefined) {
      cb(null);
      return;
    }
    if (this._bufferSize + data.length > MAX_BUFFERED_INPUT) {
      this.violate(`${this._bufferSize + data.length} bytes of unparsed input`);
      cb(null);
      return;
    }
    super._write(data, cb);
  }

  /**
   * The library looks for the PE sync pattern only when new input arrives, so bytes that were already
   * buffered when it started looking (a peer that sent its junk in one go) would sit there until the
   * handshake timeout. Look once more right away; a peer that is not speaking PE is then dropped at once.
   */
  override _processBuffer(): void {
    super._processBuffer();
    if (this._cryptoSyncPattern && this._bufferSize > 0 && !this.rechecking) {
      this.rechecking = true;
      try {
        super._processBuffer();
      } finally {
        this.rechecking = false;
      }
    }
  }

  override _sendExtendedHandshake(): void {
    if (this.holdExtended) {
      this.extendedHeld = true;
      return;
    }
    super._sendExtendedHandshake();
  }

  /** send the extension handshake now (or as soon as the library would have) */
  releaseExtendedHandshake(): void {
    this.holdExtended = false;
    if (!this.extendedHeld) return;
    this.extendedHeld = false;
    super._sendExtendedHandshake();
  }

  /** stop parsing (what is buffered, and anything after): the connection is about to be closed */
  violate(reason: string): void {
    if (this.violation !== undefined) return;
    this.violation = reason;
    this._parse(Number.MAX_SAFE_INTEGER, noop);
    this.emit('violation', reason);
  }

  /** Hold message parsing (input keeps buffering, up to MAX_BUFFERED_INPUT) — the loop in _processBuffer stops on _pePending. */
  pauseParsing(): void {
    this._pePending = true;
  }

  resumeParsing(): void {
    this._pePending = false;
    if (this.violation === undefined) this._processBuffer();
  }

  /** bytes pushed by the wire and not yet taken by the socket */
  get outputBuffered(): number {
    return this._readableState.buffered;
  }
}
