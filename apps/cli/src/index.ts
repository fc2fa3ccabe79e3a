export { main, type MainIO } from './main.js';
export { COMMANDS } from './commands/index.js';
export type { CommandSetup, CommandSpec, DefineCommand, Runner } from './command.js';
export { CommandContext, type GlobalOptions } from './context.js';
export { createOutput, renderTable, formatUsd, type Output } from './output.js';
