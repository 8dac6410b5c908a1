import type { MetadataStore, UsageRow } from '../meta/store.ts';

/**
 * Per-account usage counters (requests, bytes in and out, by operation and by who pays). Requests are
 * counted in memory and written once a second, so a busy web seed does not cost a SQLite write per
 * Range request; at most the last second is lost if the process is killed.
 */
export class UsageMeter {
  readonly #pending = new Map<string, UsageRow>();
  readonly #meta: MetadataStore;
  readonly #timer: NodeJS.Timeout;

  constructor(meta: MetadataStore, flushMs = 1000) {
    this.#meta = meta;
    this.#timer = setInterval(() => this.flush(), flushMs);
    this.#timer.unref();
  }

  /** `requests`: how many requests these bytes answered (1 for an S3 request; blocks served, for the seeder) */
  record(accountId: string, operation: string, role: 'owner' | 'requester', bytesIn: number, bytesOut: number, requests = 1): void {
    const id = `${accountId}\0${operation}\0${role}`;
    const row = this.#pending.get(id);
    if (row) {
      row.requests += requests;
      row.bytesIn += bytesIn;
      row.bytesOut += bytesOut;
    } else {
      this.#pending.set(id, { accountId, operation, role, requests, bytesIn, bytesOut });
    }
  }

  flush(): void {
    for (const row of this.#pending.values()) this.#meta.addUsage(row);
    this.#pending.clear();
  }

  close(): void {
    clearInterval(this.#timer);
    this.flush();
  }
}
