/**
 * Seeds of the property tests (docs/testing.md). CI (CI=true) runs every
 * property with one fixed seed, so a red CI is never a matter of chance;
 * elsewhere each property draws its own seed per run (more inputs over time).
 * FC_SEED=N runs every property with seed N: with `-t`, the replay of one
 * failure. The seed is part of each property's test name ("(with seed=N)"),
 * and a failing property prints the command that replays it.
 */
import { fc } from '@fast-check/vitest';
import { beforeEach } from 'vitest';

/** The seed of CI runs. Changing it changes what CI tests: do it on purpose only. */
const CI_SEED = 20_261_202;

function chosenSeed(): number | undefined {
  const fromEnv = process.env.FC_SEED;
  if (fromEnv !== undefined && fromEnv !== '') {
    const seed = Number(fromEnv);
    if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, not ${fromEnv}`);
    return seed;
  }
  return process.env.CI === 'true' ? CI_SEED : undefined;
}

const seed = chosenSeed();
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });

const SEED_SUFFIX = / \(with seed=(-?\d+)\)$/;
/** @fast-check/vitest runs the beforeEach hooks before every run of a property: once per test. */
const announced = new WeakSet<object>();

beforeEach(({ task, onTestFailed }) => {
  const match = SEED_SUFFIX.exec(task.name);
  if (match === null || announced.has(task)) return;
  announced.add(task);
  onTestFailed(() => {
    const name = task.name.slice(0, match.index).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
    console.error(
      `property failed with seed ${match[1]}; replay it with:\n` +
        `  FC_SEED=${match[1]} pnpm --filter @mi-datagram/protocol test ${task.file.name} -t '${name.replace(/'/g, "'\\''")}'`,
    );
  });
});
