/** Privilege levels of commands and listeners: the vocabulary every folder shares. */

/**
 * Privilege a command needs. A listener of level L runs the commands of
 * level <= L (read < operator < admin); others get `403 Permission denied`.
 */
export type CommandLevel = 'read' | 'operator' | 'admin';

export const COMMAND_LEVELS: readonly CommandLevel[] = ['read', 'operator', 'admin'];
