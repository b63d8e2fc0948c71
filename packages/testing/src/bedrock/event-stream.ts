/**
 * AWS binary event-stream frames as Bedrock's ConverseStream sends them, encoded with
 * @smithy/eventstream-codec (the codec the AWS SDK itself decodes with).
 * @module
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const codec = new EventStreamCodec(
  (bytes: Uint8Array) => decoder.decode(bytes),
  (text: string) => encoder.encode(text),
);

/** The ConverseStream event types (the `:event-type` header). */
export type ConverseStreamEventType =
  'messageStart' | 'contentBlockStart' | 'contentBlockDelta' | 'contentBlockStop' | 'messageStop' | 'metadata';

/**
 * The ConverseStream exception types (the `:exception-type` header of an exception frame),
 * as the SDK names them on the wire.
 */
export type ConverseStreamExceptionType =
  'internalServerException' | 'modelStreamErrorException' | 'validationException' | 'throttlingException' | 'serviceUnavailableException';

function frame(headers: Record<string, string>, body: unknown): Uint8Array {
  return codec.encode({
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { type: 'string' as const, value: v }])),
    body: encoder.encode(JSON.stringify(body)),
  });
}

/** One event frame: `:message-type=event`, `:event-type=<type>`, JSON payload. */
export function eventFrame(type: ConverseStreamEventType, payload: unknown): Uint8Array {
  return frame({ ':message-type': 'event', ':event-type': type, ':content-type': 'application/json' }, payload);
}

/** One exception frame: `:message-type=exception`, `:exception-type=<type>`, `{ message, ... }` payload. */
export function exceptionFrame(type: string, message: string, extra: Record<string, unknown> = {}): Uint8Array {
  return frame({ ':message-type': 'exception', ':exception-type': type, ':content-type': 'application/json' }, { message, ...extra });
}

/** A frame whose message CRC is wrong: the SDK's decoder rejects it. */
export function corruptFrame(): Uint8Array {
  const bytes = eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'corrupt' } }).slice();
  const last = bytes.length - 1;
  bytes[last] = (bytes[last] ?? 0) ^ 0xff;
  return bytes;
}

/** Decodes one frame (for tests of the encoder itself). */
export function decodeFrame(bytes: Uint8Array): { headers: Record<string, unknown>; body: unknown } {
  const message = codec.decode(bytes);
  const headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, v.value]));
  return { headers, body: JSON.parse(decoder.decode(message.body)) };
}
