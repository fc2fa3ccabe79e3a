/**
 * Marks a plugin as not encapsulated (what `fastify-plugin` does): its hooks, decorators and handlers apply to the
 * whole app, not only to routes it registers itself.
 */
export function globalPlugin<T extends (...args: never[]) => unknown>(plugin: T): T {
  Object.defineProperty(plugin, Symbol.for('skip-override'), { value: true });
  return plugin;
}
