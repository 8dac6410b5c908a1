import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export const ROOT_ACCESS_KEY = 'test-root-key';
export const ROOT_SECRET_KEY = 'test-root-secret-0123456789';
const BIN = path.resolve(import.meta.dirname, '../../bin/seedbucket.js');

export interface TestServer {
  url: string;
  /** every `seedbucket <name> listening on <url>` line: s3, tracker (http and udp), seeder */
  endpoints: { name: string; url: string }[];
  port: number;
  dataDir: string;
  proc: ChildProcess;
  stderr(): string;
  /** SIGTERM and wait for exit */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit */
  kill9(): Promise<void>;
  /** an aws-sdk-js v3 client for the root account (path style unless overridden) */
  client(overrides?: Partial<S3ClientConfig>): S3Client;
  /** remove the data directory (after stop) */
  cleanup(): void;
}

export interface StartOptions {
  dataDir?: string;
  args?: string[];
  env?: Record<string, string>;
  /** options for node itself, before the script (e.g. `--trace-gc`) */
  nodeArgs?: string[];
}

/** Start the real server process (`seedbucket serve --port 0`) on loopback with a fresh data directory. */
export async function startTestServer(opts: StartOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'seedbucket-test-'));
  // Tracker and seeder on free ports too, so test servers can run side by side (later flags override).
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, 'serve', '--port', '0', '--tracker-port', '0', '--peer-port', '0', '--data', dataDir, ...(opts.args ?? [])], {
    env: { ...process.env, SEEDBUCKET_ACCESS_KEY: ROOT_ACCESS_KEY, SEEDBUCKET_SECRET_KEY: ROOT_SECRET_KEY, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => { err += c.toString(); if (err.length > 1 << 20) err = err.slice(-(1 << 19)); });
  const endpoints: { name: string; url: string }[] = [];
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    let nl: number;
    while ((nl = out.indexOf('\n')) !== -1) {
      const m = /^seedbucket (\S+) listening on (\S+)/.exec(out.slice(0, nl));
      if (m) endpoints.push({ name: m[1]!, url: m[2]! });
      out = out.slice(nl + 1);
    }
  });
  // The s3 line comes last: the server prints its endpoints once all of them listen.
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s\n${err}`)), 30_000);
    const poll = setInterval(() => {
      if (endpoints.some((e) => e.name === 's3')) { clearInterval(poll); clearTimeout(timer); resolve(endpoints.find((e) => e.name === 's3')!.url); }
    }, 20);
    proc.once('exit', (code) => { clearInterval(poll); clearTimeout(timer); reject(new Error(`server exited with ${code}\n${err}`)); });
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    url, endpoints, port: Number(new URL(url).port), dataDir, proc,
    stderr: () => err,
    async stop() { proc.kill('SIGTERM'); return exited; },
    async kill9() { proc.kill('SIGKILL'); await exited; },
    client(overrides = {}) {
      return new S3Client({
        endpoint: url, region: 'us-east-1', forcePathStyle: true,
        credentials: { accessKeyId: ROOT_ACCESS_KEY, secretAccessKey: ROOT_SECRET_KEY },
        ...overrides,
      });
    },
    cleanup() { rmSync(dataDir, { recursive: true, force: true }); },
  };
}
