import type { Readable, Writable } from 'node:stream';

/**
 * Where object bytes live. Blobs are immutable once committed and addressed by an opaque id;
 * which object (or part) owns a blob is the metadata store's business.
 */
export interface BlobStore {
  /** A new blob being written. Nothing is visible until the metadata that names it is committed. */
  create(): Promise<BlobWriter>;
  /** Stream bytes [start, end) of a blob (end exclusive; defaults: whole blob). */
  read(blobId: string, start?: number, end?: number): Readable;
  /** Read a small range fully into memory (used to hash pieces straddling part boundaries). */
  readRange(blobId: string, start: number, end: number): Promise<Buffer>;
  /**
   * Remove a blob once nothing can reach it any more. Deferred while the blob is pinned by a reader,
   * so an overwrite never pulls the bytes from under a GET that already started.
   */
  remove(blobId: string, onGone?: () => void): void;
  /** Keep a blob readable until the returned release function is called. */
  pin(blobIds: Iterable<string>): () => void;
  /**
   * Start-up recovery: finish blobs whose metadata was committed (`isReferenced`), delete the rest of
   * what an interrupted upload left behind.
   */
  recover(isReferenced: (blobId: string) => boolean): Promise<{ finished: number; removed: number }>;
}

export interface BlobWriter {
  readonly blobId: string;
  /** The sink to pipe bytes into. */
  readonly stream: Writable;
  /** Make the written bytes durable (fsync). Call after the stream finished, before committing metadata. */
  seal(): Promise<void>;
  /**
   * Move the sealed blob into place. Called synchronously right after the metadata transaction that
   * names it commits, so no reader can see the row without the file.
   */
  publish(): void;
  /** Throw away everything written. Safe to call at any point, more than once. */
  discard(): void;
}
