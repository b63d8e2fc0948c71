// Module resolution hook for running from source: adds the `mixtape-source` export condition, under
// which each @mixtape package points at its TypeScript sources.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('mixtape-source') ? context.conditions : [...context.conditions, 'mixtape-source'];
  return nextResolve(specifier, { ...context, conditions });
}
