/** Loads `--commands` modules: ES modules whose default export is an array of definitions. */
import { basename, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../common/index.js';
import { type MiCommandDefinition, validateCommandDefinition } from './define.js';

export interface LoadedCommandModule {
  /** Absolute path of the module. */
  readonly path: string;
  /** Shown as `Exported by::` in `help`: the module's `moduleName` export, else the file's base name. */
  readonly module: string;
  readonly commands: readonly MiCommandDefinition[];
}

/**
 * Imports one commands module and validates its default export. Throws
 * {@link ConfigError} `INVALID_COMMANDS` (one-line message naming the file).
 */
export async function loadCommandModule(path: string): Promise<LoadedCommandModule> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason =
      code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(path)
        ? 'file not found'
        : (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split(
            '\n',
          )[0];
    throw new ConfigError(
      'INVALID_COMMANDS',
      'commands',
      `invalid commands: cannot load module ${path}: ${reason}`,
    );
  }
  const list = namespace.default;
  if (!Array.isArray(list)) {
    throw new ConfigError(
      'INVALID_COMMANDS',
      'commands',
      `invalid commands: module ${path}: the default export must be an array of command definitions`,
    );
  }
  const commands = list.map((item: unknown, index) =>
    validateCommandDefinition(item, `commands module ${path}, entry ${index}`),
  );
  const declared = namespace.moduleName;
  const module =
    typeof declared === 'string' && declared.length > 0 && !declared.includes('\n')
      ? declared
      : basename(path, extname(path));
  return { path, module, commands };
}
