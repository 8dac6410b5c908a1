// What awscli.test.ts and boto3.test.ts share: an HTTPS server (self-signed certificate) with three
// accounts and a revoked key, a plain-HTTP server without --insecure-sse-c, and the parsing of the
// scripts' check lines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { adminJson, createAccount, rootAccount, selfSignedCert, type Account } from './harness.ts';

export interface ClientWorld {
  https: TestServer;
  http: TestServer;
  ca: string;
  work: string;
  A: Account;
  B: Account;
  C: Account;
  revoked: { accessKeyId: string; secretAccessKey: string };
  close(): Promise<void>;
}

export async function startClientWorld(prefix: string): Promise<ClientWorld> {
  const work = mkdtempSync(path.join(tmpdir(), prefix));
  const cert = selfSignedCert(work);
  const [https, http] = await Promise.all([
    startTestServer({ args: ['--tls-cert', cert.cert, '--tls-key', cert.key] }),
    startTestServer(),
  ]);
  assert.match(https.url, /^https:\/\/127\.0\.0\.1:/);
  assert.match(http.url, /^http:\/\/127\.0\.0\.1:/);
  const [A, B, C] = await Promise.all([rootAccount(https), createAccount(https, 'client-b'), createAccount(https, 'client-c')]);
  const revoked = await adminJson<{ accessKeyId: string; secretAccessKey: string }>(https.dataDir, ['key', 'create', C.accountId]);
  await adminJson(https.dataDir, ['key', 'revoke', revoked.accessKeyId]);
  return {
    https, http, ca: cert.cert, work, A, B, C, revoked,
    async close() {
      await Promise.all([https.stop(), http.stop()]);
      https.cleanup();
      http.cleanup();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Environment for a script: endpoints, CA bundle, and the accounts as {A,B,C}_{KEY,SECRET,ID,CANON}. */
export function worldEnv(w: ClientWorld): Record<string, string> {
  const env: Record<string, string> = {
    HTTPS_URL: w.https.url, HTTP_URL: w.http.url, CA_BUNDLE: w.ca, WORK: w.work,
    REVOKED_KEY: w.revoked.accessKeyId, REVOKED_SECRET: w.revoked.secretAccessKey,
  };
  for (const [n, a] of Object.entries({ A: w.A, B: w.B, C: w.C })) {
    env[`${n}_KEY`] = a.accessKeyId;
    env[`${n}_SECRET`] = a.secretAccessKey;
    env[`${n}_ID`] = a.accountId;
    env[`${n}_CANON`] = a.canonicalUserId;
  }
  return env;
}

export interface CheckLine { name: string; ok: boolean; detail: string }

/** `CHECK ok <name>` / `CHECK FAIL <name> <detail>` lines. */
export function parseCheckLines(stdout: string): CheckLine[] {
  return stdout.split('\n').flatMap((line) => {
    const m = /^CHECK (ok|FAIL) (\S+)(?: (.*))?$/.exec(line);
    return m ? [{ name: m[2]!, ok: m[1] === 'ok', detail: m[3] ?? '' }] : [];
  });
}

/** Every expected check ran exactly once, no unexpected one ran, and all passed (failures listed with details). */
export function assertChecks(got: CheckLine[], expected: readonly string[], context: string): void {
  const names = got.map((c) => c.name);
  const dupes = names.filter((n, i) => names.indexOf(n) !== i);
  assert.deepEqual(dupes, [], `checks reported twice: ${dupes.join(', ')}`);
  assert.deepEqual([...names].sort(), [...expected].sort(), `the script must run exactly the expected checks\n${context}`);
  const failed = got.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
  assert.deepEqual(failed, [], `failed checks:\n  ${failed.join('\n  ')}\n${context}`);
}
