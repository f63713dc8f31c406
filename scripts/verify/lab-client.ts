// Thin I/O helpers the verify scripts share: run a command on a lab host (as the operator would
// over SSH; the lab uses `docker exec`), copy a file to it, and HTTP(S) requests with or without
// credentials.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { $ } from 'zx';

$.verbose = false;

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a shell command on a lab host; never throws, so checks can report the failure. */
export async function onHost(host: string, command: string): Promise<CommandResult> {
  const run = await $({ nothrow: true })`docker exec ${host} sh -c ${command}`;
  return { exitCode: run.exitCode ?? 1, stdout: run.stdout, stderr: run.stderr };
}

/** Puts a file of this machine onto a lab host (a client's own setup, e.g. the CA it trusts). */
export async function copyToHost(host: string, localPath: string, remotePath: string): Promise<void> {
  await $`docker cp ${localPath} ${host}:${remotePath}`;
}

export interface Credentials {
  username: string;
  password: string;
}

export interface HttpResult {
  status: number;
  body: string;
}

/**
 * HTTP(S) from this machine (the controller) with a timeout; `ca` is the CA to trust for https.
 * Network and TLS errors come back as status 0 with the error as body.
 */
export function http(
  url: string,
  options: { credentials?: Credentials; method?: string; body?: string; timeoutMs?: number; ca?: string } = {},
): Promise<HttpResult> {
  const target = new URL(url);
  const headers: Record<string, string> = {};
  if (options.credentials) {
    const token = Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64');
    headers.authorization = `Basic ${token}`;
  }
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const request = send(
      target,
      { method: options.method ?? 'GET', headers, timeout: options.timeoutMs ?? 5000, ...(options.ca ? { ca: options.ca } : {}) },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', (error) => resolve({ status: 0, body: String(error) }));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`timeout after ${options.timeoutMs ?? 5000} ms`)));
    request.on('error', (error) => resolve({ status: 0, body: String(error) }));
    if (options.body !== undefined) request.write(options.body);
    request.end();
  });
}
