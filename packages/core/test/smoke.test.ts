import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tool } from '@mixtape/core';

describe('tool()', () => {
  it('validates input against a zod schema and names the JSON type of a non-object', () => {
    const t = tool({
      name: 'add',
      description: 'adds',
      input: z.object({ a: z.number(), b: z.number() }),
      execute: ({ a, b }) => String(a + b),
    });
    expect(t.validate({ a: 1, b: 2 })).toEqual({ ok: true, value: { a: 1, b: 2 } });
    const bad = t.validate('nope');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toContain('got: string');
    const missing = t.validate({ a: 1 });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error).toContain('b');
  });
});
