export { main, addCommands, type CommandInstaller, type MainIO, type Runner } from './main.js';
export { CommandContext, type GlobalOptions } from './context.js';
export { createOutput, renderTable, formatUsd, type Output } from './output.js';
