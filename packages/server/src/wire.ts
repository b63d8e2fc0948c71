/**
 * The bytes of an event stream: AG-UI events as SSE (`text/event-stream`) or as length-prefixed
 * protobuf (`application/vnd.ag-ui.event+proto`, via @ag-ui/encoder), chosen from the Accept header.
 * @module
 */
import type { BaseEvent } from '@ag-ui/core';
import { AGUI_MEDIA_TYPE, EventEncoder } from '@ag-ui/encoder';

/** Media type of the SSE encoding. */
export const SSE_MEDIA_TYPE = 'text/event-stream';
/** Media type of the protobuf encoding (re-exported from @ag-ui/encoder). */
export const PROTO_MEDIA_TYPE: string = AGUI_MEDIA_TYPE;

/** Longest Accept header parsed (longer ones are cut; the parse stays linear). */
const MAX_ACCEPT_LENGTH = 4_096;

/** The quality a media range of an Accept header gives `type/subtype` (0 when none matches). */
function quality(accept: string, type: string, subtype: string, explicitOnly: boolean): number {
  let best = 0;
  let bestSpecificity = -1;
  for (const part of accept.slice(0, MAX_ACCEPT_LENGTH).split(',')) {
    const [range = '', ...params] = part.split(';');
    const [t = '', s = ''] = range.trim().toLowerCase().split('/');
    let specificity: number;
    if (t === type && s === subtype) specificity = 2;
    else if (!explicitOnly && t === type && s === '*') specificity = 1;
    else if (!explicitOnly && t === '*' && s === '*') specificity = 0;
    else continue;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.split('=');
      if (k?.trim().toLowerCase() === 'q') q = Number(v);
    }
    if (!Number.isFinite(q)) q = 0;
    if (specificity > bestSpecificity) {
      best = q;
      bestSpecificity = specificity;
    }
  }
  return best;
}

/**
 * The encoding to answer with: protobuf when the Accept header names its media type explicitly
 * (and ranks it at least as high as SSE), SSE when it accepts `text/event-stream` (or sends no
 * Accept), null when it accepts neither (406).
 */
export function negotiateEncoding(accept: string | null | undefined): 'sse' | 'proto' | null {
  if (!accept || accept.trim() === '') return 'sse';
  const proto = quality(accept, 'application', 'vnd.ag-ui.event+proto', true);
  const sse = quality(accept, 'text', 'event-stream', false);
  if (proto > 0 && proto >= sse) return 'proto';
  if (sse > 0) return 'sse';
  return null;
}

/** Encodes events for one response. */
export class EventWire {
  readonly #encoder: EventEncoder;
  readonly contentType: string;

  constructor(readonly encoding: 'sse' | 'proto') {
    this.#encoder = new EventEncoder(encoding === 'proto' ? { accept: PROTO_MEDIA_TYPE } : {});
    this.contentType = encoding === 'proto' ? PROTO_MEDIA_TYPE : SSE_MEDIA_TYPE;
  }

  /** The bytes of one event. */
  encode(event: BaseEvent): Uint8Array | string {
    return this.encoding === 'proto' ? this.#encoder.encodeProtobuf(event) : this.#encoder.encodeSSE(event);
  }

  /** A keep-alive for idle streams, or null where the encoding has none (protobuf). */
  heartbeat(): string | null {
    return this.encoding === 'sse' ? ': keepalive\n\n' : null;
  }
}
