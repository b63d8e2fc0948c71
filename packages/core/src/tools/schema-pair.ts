/**
 * A schema given as zod or as JSON Schema, turned into both forms: the JSON Schema a model is sent
 * and the zod schema that validates what comes back (tool inputs, structured answers).
 * @module
 */
import { z } from 'zod';

/** Whether a value is a zod schema (rather than a JSON Schema object). */
export function isZodSchema(value: unknown): value is z.ZodType {
  return typeof value === 'object' && value !== null && '_zod' in value && typeof (value as z.ZodType).safeParse === 'function';
}

/**
 * Both forms of `schema`. `io` says which side of a zod transform the JSON Schema describes
 * ('input' for tool inputs, 'output' for answers). A JSON Schema zod cannot read throws an Error
 * whose message says why; callers wrap it in their own typed error.
 */
export function schemaPair(
  schema: z.ZodType | Record<string, unknown>,
  io: 'input' | 'output',
): { validator: z.ZodType; jsonSchema: Record<string, unknown> } {
  if (isZodSchema(schema)) {
    const jsonSchema = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
    delete jsonSchema.$schema;
    return { validator: schema, jsonSchema };
  }
  return { validator: z.fromJSONSchema(schema), jsonSchema: schema };
}
