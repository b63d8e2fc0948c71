/**
 * The fields of an elicitation form (the restricted JSON Schema MCP allows: strings with a
 * format, numbers, booleans, single and multiple choices) read from what a person types.
 * Pure functions: the question in the live region uses them, tests call them directly.
 * @module
 */

/** Longest answer accepted for one field (characters). */
export const MAX_FIELD_CHARS = 2_000;

/** One property of a requested schema. */
export interface FormField {
  type?: string;
  title?: string;
  description?: string;
  format?: string;
  enum?: unknown[];
  enumNames?: string[];
  oneOf?: Array<{ const: unknown; title?: string }>;
  items?: { enum?: unknown[]; anyOf?: Array<{ const: unknown; title?: string }> };
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
}

/** A value the server accepts in an elicitation answer. */
export type FieldValue = string | number | boolean | string[];

/** A choice: the value sent and the label shown. */
export interface Choice {
  value: unknown;
  label: string;
}

/** The choices of a single- or multiple-choice field, or undefined for a free field. */
export function choicesOf(field: FormField): Choice[] | undefined {
  const titled = field.oneOf ?? field.items?.anyOf;
  if (titled) return titled.map((o) => ({ value: o.const, label: o.title ?? String(o.const) }));
  const values = field.enum ?? field.items?.enum;
  if (!values) return undefined;
  return values.map((v, i) => ({ value: v, label: field.enumNames?.[i] ?? String(v) }));
}

function pick(raw: string, choices: Choice[]): Choice | undefined {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (n >= 1 && n <= choices.length) return choices[n - 1];
  const lower = raw.toLowerCase();
  return choices.find((c) => String(c.value) === raw || c.label.toLowerCase() === lower);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function formatProblem(raw: string, format: string | undefined): string | undefined {
  switch (format) {
    case 'email':
      return EMAIL.test(raw) ? undefined : 'enter an email address (name@example.org)';
    case 'uri':
      return URL.canParse(raw) ? undefined : 'enter a full URL (https://...)';
    case 'date':
      return DATE.test(raw) && !Number.isNaN(Date.parse(raw)) ? undefined : 'enter a date as YYYY-MM-DD';
    default:
      return undefined;
  }
}

/**
 * Reads what was typed for one field (not empty: an empty answer means "keep the default" or
 * "leave out", decided by the caller). Choices by number, value or label; several choices
 * separated by commas; booleans as y/n.
 */
export function parseField(raw: string, field: FormField): { ok: true; value: FieldValue } | { ok: false; error: string } {
  if (raw.length > MAX_FIELD_CHARS) return { ok: false, error: `at most ${MAX_FIELD_CHARS} characters` };
  const choices = choicesOf(field);
  if (field.type === 'array') {
    const parts = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const picked: string[] = [];
    for (const part of parts) {
      const c = choices ? pick(part, choices) : { value: part, label: part };
      if (!c) return { ok: false, error: `'${part}' is not one of the choices` };
      if (!picked.includes(String(c.value))) picked.push(String(c.value));
    }
    if (field.minItems !== undefined && picked.length < field.minItems) return { ok: false, error: `choose at least ${field.minItems}` };
    if (field.maxItems !== undefined && picked.length > field.maxItems) return { ok: false, error: `choose at most ${field.maxItems}` };
    return { ok: true, value: picked };
  }
  if (choices) {
    const c = pick(raw, choices);
    return c ? { ok: true, value: c.value as FieldValue } : { ok: false, error: `choose 1 to ${choices.length}` };
  }
  switch (field.type) {
    case 'boolean':
      if (/^(y|yes|true)$/i.test(raw)) return { ok: true, value: true };
      if (/^(n|no|false)$/i.test(raw)) return { ok: true, value: false };
      return { ok: false, error: 'answer y or n' };
    case 'number':
    case 'integer': {
      const n = Number(raw);
      if (!Number.isFinite(n) || (field.type === 'integer' && !Number.isInteger(n)))
        return { ok: false, error: field.type === 'integer' ? 'enter a whole number' : 'enter a number' };
      if (field.minimum !== undefined && n < field.minimum) return { ok: false, error: `at least ${field.minimum}` };
      if (field.maximum !== undefined && n > field.maximum) return { ok: false, error: `at most ${field.maximum}` };
      return { ok: true, value: n };
    }
    default: {
      if (field.minLength !== undefined && raw.length < field.minLength)
        return { ok: false, error: `at least ${field.minLength} characters` };
      if (field.maxLength !== undefined && raw.length > field.maxLength)
        return { ok: false, error: `at most ${field.maxLength} characters` };
      const problem = formatProblem(raw, field.format);
      return problem ? { ok: false, error: problem } : { ok: true, value: raw };
    }
  }
}

/** The default of a field as an answer value, when it has a usable one. */
export function defaultOf(field: FormField): FieldValue | undefined {
  const d = field.default;
  if (typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean') return d;
  if (Array.isArray(d) && d.every((x) => typeof x === 'string')) return d;
  return undefined;
}

/** A value as the person reads it (choices by their label). */
export function showValue(value: FieldValue, field: FormField): string {
  const choices = choicesOf(field);
  const label = (v: unknown) => choices?.find((c) => c.value === v)?.label ?? String(v);
  if (Array.isArray(value)) return value.map(label).join(', ');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return label(value);
}

/** How to answer a field: its choices numbered, "y/n", or its format. */
export function fieldHint(field: FormField): string {
  const choices = choicesOf(field);
  if (choices) {
    const list = choices.map((c, i) => `${i + 1}. ${c.label}`).join('  ');
    return field.type === 'array' ? `${list}  (several: 1,3)` : list;
  }
  if (field.type === 'boolean') return 'y / n';
  if (field.type === 'integer' || field.type === 'number') {
    const range = field.minimum !== undefined || field.maximum !== undefined ? ` ${field.minimum ?? ''}–${field.maximum ?? ''}` : '';
    return `${field.type === 'integer' ? 'a whole number' : 'a number'}${range}`;
  }
  return field.format ? `text (${field.format})` : 'text';
}
