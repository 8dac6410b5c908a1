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

  record(accountId: string, operation: string, role: 'owner' | 'requester', bytesIn: number, bytesOut: number): void {
    const id = `${accountId}\0${operation}\0${role}`;
    const row = this.#pending.get(id);
    if (row) {
      row.requests++;
      row.bytesIn += bytesIn;
      row.bytesOut += bytesOut;
    } else {
      this.#pending.set(id, { accountId, operation, role, requests: 1, bytesIn, bytesOut });
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
