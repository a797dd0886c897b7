/**
 * Programs that tests take from Debian packages (chromium for the monitor's browser test,
 * redis-server for BullMQ), installed when a test first needs them, the way .ci/run does: with
 * apt-get as root, or through `sudo -n` where sudo needs no password. Anywhere else the error
 * names the one command to run.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { installTimeout } from './processes.js';

export interface DebianProgramOptions {
  /** The Debian package that provides the program; by default the program's file name. */
  package?: string;
  /** The apt-get to run (a test of this helper gives a stand-in). */
  aptGet?: string;
}

/**
 * The absolute path `program` (e.g. `/usr/bin/chromium`), after installing its Debian package if
 * it is missing. Several test files may ask at once: the installs take turns under a lock. Give
 * the test {@link installTimeout}.
 *
 * @example
 * const redis = await debianProgram('/usr/bin/redis-server');
 */
export async function debianProgram(program: string, options: DebianProgramOptions = {}): Promise<string> {
  if (existsSync(program)) return program;
  const pkg = options.package ?? basename(program);
  const command = `apt-get install -y ${pkg}`;
  const runAs = await privilege();
  if (runAs === undefined) {
    throw new Error(`this test needs ${program}: install Debian's ${pkg} with 'sudo ${command}' (or run the tests as root)`);
  }
  const aptGet = options.aptGet ?? 'apt-get';
  const script = `${aptGet} update -qq && ${aptGet} install -y -qq ${pkg}`;
  // flock serialises the test files that install at once; apt-get would refuse a second one.
  const locked = ['flock', join(tmpdir(), 'cobald-apt.lock'), 'sh', '-c', script];
  const argv = runAs === 'sudo' ? ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', ...locked] : locked;
  const { error, output } = await run(argv[0]!, argv.slice(1));
  if (error || !existsSync(program)) {
    throw new Error(`this test needs ${program}, and '${script}' could not install it (run 'sudo ${command}'):\n${output}`, {
      cause: error,
    });
  }
  return program;
}

/** How this process may run apt-get: as itself (root), through sudo without a password, or not at all. */
async function privilege(): Promise<'root' | 'sudo' | undefined> {
  if (process.getuid?.() === 0) return 'root';
  const { error } = await run('sudo', ['-n', 'true']);
  return error ? undefined : 'sudo';
}

function run(file: string, args: string[]): Promise<{ error: Error | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: installTimeout, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ error, output: stdout + stderr }),
    );
  });
}
