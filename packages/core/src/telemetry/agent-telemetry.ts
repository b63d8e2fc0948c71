/**
 * Turns an agent's events into OpenTelemetry spans and metrics following the GenAI semantic
 * conventions: one `invoke_agent` span per run, a `chat` span per model call and an
 * `execute_tool` span per tool call, children of the run's span. Depends only on
 * `@opentelemetry/api`: without a registered SDK every call is a no-op.
 * @module
 */
import type { Attributes, Context, Histogram, Meter, Span, Tracer } from '@opentelemetry/api';
import type { AgentEvent } from '../events.js';
import type { Usage } from '../model.js';
import { GenAiAttr, GenAiMetric, GenAiOperation, MixtapeAttr } from './attributes.js';
import { otelApi } from '../lazy-require.js';

/** The instrumentation scope name of Mixtape's spans and metrics. */
export const TELEMETRY_SCOPE = '@mixtape/core';

/** Environment variable that turns on prompt and completion capture (the conventions' name). */
export const CAPTURE_CONTENT_ENV = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';

/** Longest captured content attribute (characters); longer content is cut with a marker. */
export const DEFAULT_MAX_CAPTURED_CONTENT_CHARS = 16_384;

/** Options of an agent's telemetry (`new Agent({ telemetry })`). */
export interface TelemetryOptions {
  /** Tracer to use; default: the global tracer provider's `@mixtape/core` tracer. */
  tracer?: Tracer;
  /** Meter to use; default: the global meter provider's `@mixtape/core` meter. */
  meter?: Meter;
  /**
   * Record prompts, completions, tool arguments and tool results on spans. Off by default: they may
   * hold personal data. Default: true only when OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true.
   */
  captureContent?: boolean;
  /** `gen_ai.agent.name` of the run spans (default "mixtape"). */
  agentName?: string;
  /** Longest captured content attribute (default {@link DEFAULT_MAX_CAPTURED_CONTENT_CHARS}). */
  maxContentChars?: number;
}

/** What the telemetry needs to know of the model. */
export interface TelemetryModel {
  provider: string;
  modelId: string;
}

interface RunSpans {
  span: Span;
  ctx: Context;
  started: number;
  chat?: { span: Span | undefined; ctx: Context | undefined; started: number };
  tools: Map<string, { span: Span; ctx: Context }>;
  recording: boolean;
}

/**
 * Spans and metrics of one agent. Feed it every event with {@link observe}; the agent runs tools
 * and model calls inside {@link toolContext} / {@link chatContext} so that nested work (a
 * sub-agent, an instrumented HTTP client) becomes a child span.
 */
export class AgentTelemetry {
  private readonly tracer: Tracer;
  private readonly tokenUsage: Histogram;
  private readonly duration: Histogram;
  private readonly capture: boolean;
  private readonly agentName: string;
  private readonly maxContent: number;
  private readonly runs = new Map<string, RunSpans>();
  /** Attributes every span and metric of an operation starts with (built once). */
  private readonly baseAttrs: Record<string, Attributes>;

  constructor(
    private readonly model: TelemetryModel,
    options: TelemetryOptions = {},
  ) {
    const { metrics, trace } = otelApi();
    this.tracer = options.tracer ?? trace.getTracer(TELEMETRY_SCOPE);
    const meter = options.meter ?? metrics.getMeter(TELEMETRY_SCOPE);
    this.tokenUsage = meter.createHistogram(GenAiMetric.tokenUsage, {
      unit: '{token}',
      description: 'Number of input and output tokens used',
    });
    this.duration = meter.createHistogram(GenAiMetric.operationDuration, { unit: 's', description: 'GenAI operation duration' });
    this.capture = options.captureContent ?? process.env[CAPTURE_CONTENT_ENV]?.toLowerCase() === 'true';
    this.agentName = options.agentName ?? 'mixtape';
    this.maxContent = options.maxContentChars ?? DEFAULT_MAX_CAPTURED_CONTENT_CHARS;
    const base = (operation: string): Attributes => ({
      [GenAiAttr.operationName]: operation,
      [GenAiAttr.providerName]: model.provider,
      [GenAiAttr.system]: model.provider,
      [GenAiAttr.requestModel]: model.modelId,
    });
    this.baseAttrs = {
      [GenAiOperation.invokeAgent]: base(GenAiOperation.invokeAgent),
      [GenAiOperation.chat]: base(GenAiOperation.chat),
      chatMetric: { ...base(GenAiOperation.chat), [GenAiAttr.responseModel]: model.modelId },
      chatInput: { ...base(GenAiOperation.chat), [GenAiAttr.responseModel]: model.modelId, [GenAiAttr.tokenType]: 'input' },
      chatOutput: { ...base(GenAiOperation.chat), [GenAiAttr.responseModel]: model.modelId, [GenAiAttr.tokenType]: 'output' },
    };
  }

  /** The context of a tool call's span, to run the tool in (undefined when unknown). */
  toolContext(runId: string, toolUseId: string): Context | undefined {
    return this.runs.get(runId)?.tools.get(toolUseId)?.ctx;
  }

  /** The context of the model call in flight, to stream it in (undefined when none). */
  chatContext(runId: string): Context | undefined {
    return this.runs.get(runId)?.chat?.ctx;
  }

  /** Records one agent event. Never throws. */
  observe(event: AgentEvent): void {
    switch (event.type) {
      case 'run_started':
        return this.startRun(event.runId, event.input, event.sessionId);
      case 'model_call_started':
        return this.startChat(event.runId, event.step);
      case 'model_call_completed':
        return this.endChat(event);
      case 'tool_executing':
        return this.startTool(event.runId, event.toolUseId, event.name);
      case 'tool_requested':
        return this.toolArguments(event.runId, event.toolUseId, event.input);
      case 'tool_completed':
        return this.endTool(event.runId, event.toolUseId, undefined, event.outputText);
      case 'tool_failed':
        return this.endTool(event.runId, event.toolUseId, event.error);
      case 'run_completed':
        return this.endRun(event.runId, {
          outcome: 'completed',
          usage: event.usage,
          costUsd: event.costUsd,
          steps: event.steps,
          output: event.output,
        });
      case 'run_failed':
        return this.endRun(event.runId, { outcome: event.aborted ? 'aborted' : 'failed', error: event.error, errorType: event.kind });
      default:
        if ((event as { type: string }).type === 'run_interrupted') this.endRun(event.runId, { outcome: 'interrupted' });
    }
  }

  private base(operation: string): Attributes {
    return this.baseAttrs[operation]!;
  }

  private startRun(runId: string, input: string, sessionId: string | undefined): void {
    const attributes: Attributes = {
      ...this.base(GenAiOperation.invokeAgent),
      [GenAiAttr.agentName]: this.agentName,
      [MixtapeAttr.runId]: runId,
    };
    if (sessionId !== undefined) attributes[GenAiAttr.conversationId] = sessionId;
    if (this.capture) attributes[GenAiAttr.inputMessages] = this.content([{ role: 'user', parts: [{ type: 'text', content: input }] }]);
    const parent = otelApi().context.active();
    const span = this.tracer.startSpan(
      `${GenAiOperation.invokeAgent} ${this.agentName}`,
      { kind: otelApi().SpanKind.INTERNAL, attributes },
      parent,
    );
    // A run span that is not recorded (no SDK registered, or sampled out) gets no child spans:
    // they would not be recorded either. Metrics are still recorded.
    this.runs.set(runId, {
      span,
      ctx: otelApi().trace.setSpan(parent, span),
      started: performance.now(),
      tools: new Map(),
      recording: span.isRecording(),
    });
  }

  private startChat(runId: string, step: number): void {
    const run = this.runs.get(runId);
    if (!run) return;
    if (!run.recording) {
      run.chat = { span: undefined, ctx: undefined, started: performance.now() };
      return;
    }
    const span = this.tracer.startSpan(
      `${GenAiOperation.chat} ${this.model.modelId}`,
      { kind: otelApi().SpanKind.CLIENT, attributes: { ...this.base(GenAiOperation.chat), [MixtapeAttr.step]: step } },
      run.ctx,
    );
    run.chat = { span, ctx: otelApi().trace.setSpan(run.ctx, span), started: performance.now() };
  }

  private endChat(event: Extract<AgentEvent, { type: 'model_call_completed' }>): void {
    const run = this.runs.get(event.runId);
    const chat = run?.chat;
    if (!run || !chat) return;
    const { span } = chat;
    if (span) {
      const attributes = usageAttributes(event.usage);
      attributes[GenAiAttr.responseModel] = this.model.modelId;
      attributes[GenAiAttr.responseFinishReasons] = [event.stopReason];
      if (event.costUsd !== undefined) attributes[MixtapeAttr.costUsd] = event.costUsd;
      if (this.capture) attributes[GenAiAttr.outputMessages] = this.content([{ role: 'assistant', parts: event.message.content }]);
      span.setAttributes(attributes);
      span.end();
    }
    run.chat = undefined;
    this.tokenUsage.record(event.usage.inputTokens, this.baseAttrs.chatInput);
    this.tokenUsage.record(event.usage.outputTokens, this.baseAttrs.chatOutput);
    this.duration.record((performance.now() - chat.started) / 1000, this.baseAttrs.chatMetric);
  }

  private toolArguments(runId: string, toolUseId: string, input: unknown): void {
    if (!this.capture || !this.runs.get(runId)?.recording) return;
    const tool = this.runs.get(runId)?.tools.get(toolUseId);
    // tool_requested comes before tool_executing: keep the arguments until the span starts.
    if (tool) tool.span.setAttribute(GenAiAttr.toolArguments, this.content(input));
    else this.pendingArgs.set(`${runId}\u0000${toolUseId}`, input);
  }

  private readonly pendingArgs = new Map<string, unknown>();

  private startTool(runId: string, toolUseId: string, name: string): void {
    const run = this.runs.get(runId);
    if (!run?.recording) return;
    const attributes: Attributes = {
      [GenAiAttr.operationName]: GenAiOperation.executeTool,
      [GenAiAttr.toolName]: name,
      [GenAiAttr.toolCallId]: toolUseId,
      [GenAiAttr.toolType]: 'function',
    };
    const key = `${runId}\u0000${toolUseId}`;
    if (this.pendingArgs.has(key)) {
      attributes[GenAiAttr.toolArguments] = this.content(this.pendingArgs.get(key));
      this.pendingArgs.delete(key);
    }
    const span = this.tracer.startSpan(`${GenAiOperation.executeTool} ${name}`, { kind: otelApi().SpanKind.INTERNAL, attributes }, run.ctx);
    run.tools.set(toolUseId, { span, ctx: otelApi().trace.setSpan(run.ctx, span) });
  }

  private endTool(runId: string, toolUseId: string, error?: string, output?: string): void {
    const run = this.runs.get(runId);
    const tool = run?.tools.get(toolUseId);
    if (!run || !tool) return;
    if (error !== undefined) {
      tool.span.setStatus({ code: otelApi().SpanStatusCode.ERROR, message: error });
      tool.span.setAttribute(GenAiAttr.errorType, 'tool_error');
    } else if (this.capture && output !== undefined) {
      tool.span.setAttribute(GenAiAttr.toolResult, this.content(output));
    }
    tool.span.end();
    run.tools.delete(toolUseId);
  }

  private endRun(
    runId: string,
    r: {
      outcome: string;
      usage?: Usage;
      costUsd?: number | undefined;
      steps?: number;
      output?: string;
      error?: string;
      errorType?: string;
    },
  ): void {
    const run = this.runs.get(runId);
    if (!run) return;
    this.runs.delete(runId);
    for (const key of this.pendingArgs.keys()) if (key.startsWith(`${runId}\u0000`)) this.pendingArgs.delete(key);
    // A model call or tool call still open when the run ends was cut short by the run's end.
    const cut = r.error ?? `run ${r.outcome}`;
    if (run.chat?.span) {
      run.chat.span.setStatus({ code: otelApi().SpanStatusCode.ERROR, message: cut });
      run.chat.span.setAttribute(GenAiAttr.errorType, r.errorType ?? r.outcome);
      run.chat.span.end();
    }
    for (const tool of run.tools.values()) {
      tool.span.setStatus({ code: otelApi().SpanStatusCode.ERROR, message: cut });
      tool.span.end();
    }
    const { span } = run;
    span.setAttribute(MixtapeAttr.outcome, r.outcome);
    if (r.usage) span.setAttributes(usageAttributes(r.usage));
    if (r.costUsd !== undefined) span.setAttribute(MixtapeAttr.costUsd, r.costUsd);
    if (r.steps !== undefined) span.setAttribute(MixtapeAttr.steps, r.steps);
    if (this.capture && r.output !== undefined)
      span.setAttribute(GenAiAttr.outputMessages, this.content([{ role: 'assistant', parts: [{ type: 'text', content: r.output }] }]));
    if (r.error !== undefined) {
      span.setStatus({ code: otelApi().SpanStatusCode.ERROR, message: r.error });
      span.setAttribute(GenAiAttr.errorType, r.errorType ?? 'error');
      span.recordException({ name: r.errorType ?? 'AgentError', message: r.error });
    }
    span.end();
    this.duration.record((performance.now() - run.started) / 1000, this.base(GenAiOperation.invokeAgent));
  }

  /** JSON of captured content, cut to the configured size. */
  private content(value: unknown): string {
    let text: string;
    try {
      text = typeof value === 'string' ? value : (JSON.stringify(value, binaryAsMarker) ?? String(value));
    } catch (error) {
      text = `[not serialisable: ${(error as Error).message}]`;
    }
    return text.length > this.maxContent ? `${text.slice(0, this.maxContent)}…[${text.length - this.maxContent} more characters]` : text;
  }
}

function usageAttributes(usage: Usage): Attributes {
  const a: Attributes = { [GenAiAttr.inputTokens]: usage.inputTokens, [GenAiAttr.outputTokens]: usage.outputTokens };
  if (usage.cacheReadTokens !== undefined) a[GenAiAttr.cacheReadTokens] = usage.cacheReadTokens;
  if (usage.cacheWriteTokens !== undefined) a[GenAiAttr.cacheCreationTokens] = usage.cacheWriteTokens;
  return a;
}

/** Images and documents are not copied into spans: their bytes become a size marker. */
function binaryAsMarker(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  return value;
}
