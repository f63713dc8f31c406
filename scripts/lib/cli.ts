// The one command-line style of the scripts: node:util parseArgs, `-h`/`--help` prints the usage
// on stdout and exits 0, a bad argument prints `<name>: <problem>` and the usage on stderr and
// exits 2. Callers declare their flags as parseArgs options (including `help`).
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT_USAGE = 2;

type Parsed<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/** Parses `config.args` (default: the process arguments); leaves through `exit` on --help or a bad argument. */
export function parseCli<T extends ParseArgsConfig>(
  name: string,
  usage: string,
  config: T,
  exit: (code: number) => never = (code) => process.exit(code),
): Parsed<T> {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    console.error(`${name}: ${(err as Error).message}\n${usage}`);
    return exit(EXIT_USAGE);
  }
  if ((parsed.values as { help?: unknown }).help === true) {
    console.log(usage);
    return exit(0);
  }
  return parsed;
}

/** A usage error found after parsing (a missing or malformed value): same output and exit code. */
export function usageError(name: string, usage: string, problem: string, exit: (code: number) => never = (code) => process.exit(code)): never {
  console.error(`${name}: ${problem}\n${usage}`);
  return exit(EXIT_USAGE);
}
