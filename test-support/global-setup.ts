/** Global test setup: starts shared services (PostgreSQL) when available. */
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
