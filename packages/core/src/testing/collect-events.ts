/**
 * collectEvents: records every event of an agent.
 * @module
 */
import type { Agent } from '../agent/agent.js';
import type { AgentEvent, AgentEventOf, AgentEventType } from '../events.js';

/** A live list of an agent's events, with helpers. */
export interface CollectedEvents extends Array<AgentEvent> {
  /** The `type` of each event, in order. */
  types(): AgentEventType[];
  /** The events of one type. */
  ofType<T extends AgentEventType>(type: T): AgentEventOf<T>[];
  /** Stops collecting. */
  stop(): void;
}

/** Collects every event the agent emits from now on. */
export function collectEvents(agent: Agent): CollectedEvents {
  const events = [] as unknown as CollectedEvents;
  const remove = agent.addHook((e) => {
    events.push(e);
  });
  Object.defineProperties(events, {
    types: { value: () => events.map((e) => e.type), enumerable: false },
    ofType: { value: (type: AgentEventType) => events.filter((e) => e.type === type), enumerable: false },
    stop: { value: remove, enumerable: false },
  });
  return events;
}
