// Thin I/O helpers the verify scripts share: run a command on a lab host (as the operator would
// over SSH; the lab uses `docker exec`), and HTTP requests with or without credentials.
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

export interface Credentials {
  username: string;
  password: string;
}

export interface HttpResult {
  status: number;
  body: string;
}

/** HTTP from this machine (the controller) with a timeout; network errors come back as status 0. */
export async function http(
  url: string,
  options: { credentials?: Credentials; method?: string; body?: string; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  if (options.credentials) {
    const token = Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64');
    headers.authorization = `Basic ${token}`;
  }
  try {
    const response = await fetch(url, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body === undefined ? {} : { body: options.body }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { status: 0, body: String(error) };
  }
}
