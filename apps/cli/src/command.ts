import type { Command } from 'commander';
import type { DocumentFilterDefinition } from '@autod/core';
import type { CommandContext } from './context.js';

/** Runs a command's body with a fresh context; the exit code it returns becomes the process's. */
export type Runner = (fn: (ctx: CommandContext) => Promise<number>) => Promise<void>;

/** What a command's `define` gets besides its commander `Command`. */
export interface CommandSetup {
  /** Wrap the action's body: `.action((id: string) => run((ctx) => showCommand(ctx, id)))`. */
  run: Runner;
  /** The document filter the filter flags are derived from (loaded on first use). */
  documentFilter: () => Promise<DocumentFilterDefinition>;
}

/**
 * Adds a command's description, options and action. Called only for the command that runs (or whose help is shown),
 * so a command's module, and what it imports, loads only then.
 */
export type DefineCommand = (cmd: Command, setup: CommandSetup) => void | Promise<void>;

/** One entry of the command table: what `autod --help` shows, and where the rest of the command is. */
export interface CommandSpec {
  readonly name: string;
  /** Operands: name (`[paths...]`, `<id>`), description, default (shown in `autod --help`). */
  readonly args?: readonly (readonly [name: string, description: string, defaultValue?: string])[];
  /** One line for `autod --help`. */
  readonly summary: string;
  /** The command's `define`, imported on demand. */
  readonly load: () => Promise<DefineCommand>;
}
