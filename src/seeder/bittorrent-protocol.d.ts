/**
 * Minimal types for bittorrent-protocol@5 (ESM, untyped; @types/bittorrent-protocol describes v3).
 * Only what the seeder and its tests use, including the few internals seeder-wire.ts overrides.
 */
declare module 'bittorrent-protocol' {
  export interface BitFieldLike {
    get(index: number): boolean;
    set(index: number, value?: boolean): void;
    buffer: Uint8Array;
  }

  export interface HandshakeExtensions {
    dht: boolean;
    fast: boolean;
    extended: boolean;
  }

  export type RespondCallback = (err: Error | null, block?: Uint8Array) => void;

  export interface PendingRequest {
    piece: number;
    offset: number;
    length: number;
  }

  /** an extension registered with `wire.use`: `prototype.name` is its BEP 10 name */
  export interface ExtensionInstance {
    onHandshake?(infoHash: string, peerId: string, extensions: HandshakeExtensions): void;
    onExtendedHandshake?(handshake: Record<string, unknown>): void;
    onMessage?(buf: Uint8Array): void;
  }
  export interface ExtensionConstructor {
    new (wire: Wire): ExtensionInstance;
    prototype: { name: string };
  }

  export default class Wire {
    /** true if Node's crypto has RC4 (needs --openssl-legacy-provider on Node ≥17); else a slow JS RC4 */
    static nativeRC4: boolean;
    /**
     * @param type 'tcpIncoming' | 'tcpOutgoing' | …
     * @param peEnabled 0 = no PE, 1 = PE with plaintext allowed (responder prefers plaintext), 2 = RC4 only
     */
    constructor(type?: string, peEnabled?: 0 | 1 | 2);

    readonly type: string;
    peerId: string | null;
    peerIdBuffer: Uint8Array | null;
    amChoking: boolean;
    amInterested: boolean;
    peerChoking: boolean;
    peerInterested: boolean;
    peerPieces: BitFieldLike;
    peerExtensions: Partial<HandshakeExtensions>;
    peerExtendedHandshake: Record<string, unknown>;
    peerExtendedMapping: Record<string, number>;
    extendedHandshake: Record<string, unknown>;
    hasFast: boolean;
    allowedFastSet: number[];
    peerAllowedFastSet: number[];
    requests: PendingRequest[];
    peerRequests: PendingRequest[];
    uploaded: number;
    downloaded: number;
    destroyed: boolean;

    on(event: string, listener: (...args: any[]) => void): this;
    once(event: string, listener: (...args: any[]) => void): this;
    off(event: string, listener: (...args: any[]) => void): this;
    removeListener(event: string, listener: (...args: any[]) => void): this;
    removeAllListeners(event?: string): this;
    emit(event: string, ...args: unknown[]): boolean;
    write(data: Uint8Array): boolean;
    end(data?: Uint8Array): this;
    destroy(): this;
    pipe<T>(dest: T): T;

    setKeepAlive(enable: boolean): void;
    setTimeout(ms: number, unref?: boolean): void;
    use(extension: ExtensionConstructor): void;
    startEncryption(infoHashHex: string): void;
    setInfoHash(infoHashHex: string): void;
    handshake(infoHash: Uint8Array | string, peerId: Uint8Array | string, extensions?: { dht?: boolean; fast?: boolean }): void;
    keepAlive(): void;
    choke(): void;
    unchoke(): void;
    interested(): void;
    uninterested(): void;
    have(index: number): void;
    bitfield(bitfield: Uint8Array | BitFieldLike): void;
    request(index: number, offset: number, length: number, cb?: (err: Error | null, block?: Uint8Array) => void): void;
    piece(index: number, offset: number, block: Uint8Array): void;
    cancel(index: number, offset: number, length: number): void;
    haveAll(): void;
    haveNone(): void;
    reject(index: number, offset: number, length: number): void;
    allowedFast(index: number): void;
    extended(ext: number | string, payload: Uint8Array | Record<string, unknown>): void;

    // internals overridden or driven by SeederWire
    _parserSize: number;
    _bufferSize: number;
    _pePending: boolean;
    _cryptoSyncPattern: Uint8Array | null;
    _extendedHandshakeSent: boolean;
    _readableState: { buffered: number };
    _encryptionMethod: number | null | undefined;
    _write(data: Uint8Array, cb: (err?: Error | null) => void): void;
    _message(id: number, numbers: number[], data: Uint8Array | null): void;
    _onMessageLength(buffer: Uint8Array): void;
    _sendExtendedHandshake(): void;
    _processBuffer(): void;
    _parse(size: number, parser: (buffer: Uint8Array) => void): void;
  }
}
