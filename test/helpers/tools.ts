import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * External tools (Debian's awscli, python3-boto3, aria2…) for the client tests.
 *
 * On a developer machine `aws` / `python3` on PATH may be pyenv shims without boto3, so Debian's
 * `/usr/bin/<name>` is preferred. A candidate counts only if its probe command succeeds.
 * In CI (`CI` set) a missing tool is a test failure; elsewhere the suite is skipped with the reason.
 */
export interface Tool {
  name: string;
  /** absolute path of the working executable, or undefined if none was found */
  path: string | undefined;
  /** why it is missing (for the skip/fail message) */
  reason: string;
}

const INSTALL_HINT = 'install it with scripts/install-test-deps.sh (Debian packages)';

function candidates(name: string): string[] {
  const out = [`/usr/bin/${name}`];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const p = path.join(dir, name);
    if (!out.includes(p)) out.push(p);
  }
  return out.filter((p) => existsSync(p));
}

/** The first `name` (Debian's /usr/bin first, then PATH) for which `probeArgs` exits 0 within 30 s. */
export function findTool(name: string, probeArgs: string[], pkg: string): Tool {
  const tried: string[] = [];
  for (const p of candidates(name)) {
    const r = spawnSync(p, probeArgs, { timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'], env: loopbackEnv() });
    if (r.status === 0) return { name, path: p, reason: '' };
    tried.push(`${p} (${r.error ? r.error.message : `exit ${r.status}`})`);
  }
  const what = tried.length ? `no working ${name}: tried ${tried.join(', ')}` : `${name} not found`;
  return { name, path: undefined, reason: `${what}; Debian package ${pkg}: ${INSTALL_HINT}` };
}

/**
 * For the availability test, `it('… is installed', { skip: skipUnlessCi(tool) }, () => assertTool(tool))`:
 * outside CI a missing tool skips it; in CI it runs and fails, so the failure is counted in `# fail`
 * (a failing `before` hook would only show up as `# cancelled`).
 */
export function skipUnlessCi(...tools: Tool[]): string | false {
  const missing = tools.find((t) => t.path === undefined);
  if (!missing || process.env.CI) return false;
  return missing.reason;
}

/** For the suite that uses the tool: skipped whenever the tool is missing (in CI the availability test fails instead). */
export function skipWithoutTool(...tools: Tool[]): string | false {
  const missing = tools.find((t) => t.path === undefined);
  if (!missing) return false;
  return process.env.CI ? `${missing.name} is missing: see the failing availability test` : missing.reason;
}

export function assertTool(tool: Tool): string {
  if (tool.path === undefined) throw new Error(`required tool missing (CI=${process.env.CI ?? ''}): ${tool.reason}`);
  return tool.path;
}

const PROXY_VARS = ['http_proxy', 'https_proxy', 'all_proxy', 'ftp_proxy', 'no_proxy'];

/**
 * The environment for a child process that must only talk to loopback: proxies and every
 * inherited AWS_* setting removed (profiles, tokens, endpoints), NO_PROXY for loopback.
 */
export function loopbackEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (PROXY_VARS.includes(k.toLowerCase())) continue;
    if (k.startsWith('AWS_') || k.startsWith('BOTO_')) continue;
    env[k] = v;
  }
  env.NO_PROXY = '127.0.0.1,localhost,.localhost';
  env.no_proxy = env.NO_PROXY;
  return { ...env, ...extra };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run a command to completion with a hard timeout (SIGKILL of the child), capturing output. */
export function run(
  cmd: string, args: string[],
  opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? loopbackEnv(), cwd: opts.cwd, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const cap = (s: string, c: Buffer) => (s.length > 4 << 20 ? s : s + c.toString());
    child.stdout!.on('data', (c: Buffer) => { stdout = cap(stdout, c); });
    child.stderr!.on('data', (c: Buffer) => { stderr = cap(stderr, c); });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`${path.basename(cmd)} ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout: ${stdout.slice(-4000)}\nstderr: ${stderr.slice(-4000)}`));
        return;
      }
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}
