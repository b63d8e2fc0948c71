/**
 * The web chat page served at `GET /`: plain HTML and JavaScript, no build step. It speaks
 * AG-UI to the server (POST RunAgentInput, read the SSE stream), renders answers as Markdown
 * (built as DOM nodes — text from the server never becomes HTML), shows tool calls, and answers
 * approvals (approve, approve with edited arguments, deny with a reason) through AG-UI
 * interrupts: a pending approval is loaded again after a reload. Multi-line input (Enter sends,
 * Shift+Enter adds a line) and a stop button.
 * @module
 */

/** Options of {@link chatPageHtml}. */
export interface ChatPageOptions {
  /** Path of the AG-UI endpoint. */
  agentPath: string;
  /** Whether to show the token field. */
  authRequired: boolean;
}

/**
 * The page's script. Written without backticks or `${` (it is a String.raw template); a backtick
 * inside it is spelled \x60.
 */
const SCRIPT = String.raw`
const $ = (id) => document.getElementById(id);
const log = $('log');
const tokenInput = $('token');
if (!CONFIG.authRequired) $('token-label').hidden = true;
const fromHash = new URLSearchParams(location.hash.slice(1));
tokenInput.value = fromHash.get('token') || localStorage.getItem('mixtape.token') || '';
tokenInput.addEventListener('change', () => localStorage.setItem('mixtape.token', tokenInput.value));
let threadId = fromHash.get('thread') || localStorage.getItem('mixtape.thread') || crypto.randomUUID();
function setThread(id) { threadId = id; localStorage.setItem('mixtape.thread', id); $('thread').textContent = id; }
setThread(threadId);
$('new-thread').onclick = () => { setThread(crypto.randomUUID()); log.replaceChildren(); pending.clear(); };

function headers() {
  const h = { 'content-type': 'application/json' };
  if (CONFIG.authRequired) h.authorization = 'Bearer ' + tokenInput.value;
  return h;
}
function scroll() { log.scrollTop = log.scrollHeight; }
function add(cls, text) {
  const div = document.createElement('div');
  div.className = 'msg ' + cls;
  div.textContent = text;
  log.appendChild(div);
  scroll();
  return div;
}
function status(text) { $('status').textContent = text; }

// Markdown, safely: every piece of text goes through textContent or a text node.
const FENCE = '\x60\x60\x60';
const LIST = /^\s*(?:[-*]|\d+\.)\s+/;
const HEADING = /^(#{1,6})\s+(.*)$/;
// Bounded repetitions: each match attempt reads at most a few thousand characters.
const INLINE = /\x60([^\x60\n]{1,2000})\x60|\*\*([^*\n]{1,2000})\*\*|\*([^*\s][^*\n]{0,2000})\*|\[([^\]\n]{1,500})\]\(([^)\s]{1,2000})\)/g;
function inline(el, text) {
  let last = 0;
  INLINE.lastIndex = 0;
  for (let m; (m = INLINE.exec(text)); ) {
    if (m.index > last) el.appendChild(document.createTextNode(text.slice(last, m.index)));
    let node;
    if (m[1] !== undefined) { node = document.createElement('code'); node.textContent = m[1]; }
    else if (m[2] !== undefined) { node = document.createElement('strong'); node.textContent = m[2]; }
    else if (m[3] !== undefined) { node = document.createElement('em'); node.textContent = m[3]; }
    else if (/^https?:\/\//i.test(m[5])) { node = document.createElement('a'); node.href = m[5]; node.textContent = m[4]; node.rel = 'noopener noreferrer'; node.target = '_blank'; }
    else node = document.createTextNode(m[0]);
    el.appendChild(node);
    last = INLINE.lastIndex;
  }
  if (last < text.length) el.appendChild(document.createTextNode(text.slice(last)));
}
function markdown(el, src) {
  el.replaceChildren();
  const lines = src.split('\n');
  for (let i = 0; i < lines.length; ) {
    const line = lines[i];
    if (line.startsWith(FENCE)) {
      const code = [];
      for (i++; i < lines.length && !lines[i].startsWith(FENCE); i++) code.push(lines[i]);
      i++;
      const pre = document.createElement('pre');
      const c = document.createElement('code');
      c.textContent = code.join('\n');
      pre.appendChild(c);
      el.appendChild(pre);
      continue;
    }
    const h = HEADING.exec(line);
    if (h) { const e = document.createElement('h' + Math.min(h[1].length + 2, 6)); inline(e, h[2]); el.appendChild(e); i++; continue; }
    if (LIST.test(line)) {
      const list = document.createElement(/^\s*\d/.test(line) ? 'ol' : 'ul');
      for (; i < lines.length && LIST.test(lines[i]); i++) { const li = document.createElement('li'); inline(li, lines[i].replace(LIST, '')); list.appendChild(li); }
      el.appendChild(list);
      continue;
    }
    if (line.trim() === '') { i++; continue; }
    const para = [];
    for (; i < lines.length && lines[i].trim() !== '' && !lines[i].startsWith(FENCE) && !HEADING.test(lines[i]) && !LIST.test(lines[i]); i++) para.push(lines[i]);
    const p = document.createElement('p');
    inline(p, para.join('\n'));
    el.appendChild(p);
  }
}
function addMarkdown(cls, text) {
  const div = add(cls, '');
  div.classList.add('md');
  div.dataset.raw = text;
  markdown(div, text);
  return div;
}

async function loadHistory() {
  const r = await fetch('/threads/' + encodeURIComponent(threadId) + '/messages', { headers: headers() });
  if (!r.ok) return;
  for (const m of (await r.json()).messages) {
    const text = typeof m.content === 'string' ? m.content : (m.content || []).filter((p) => p.type === 'text').map((p) => p.text).join('\n');
    if (m.role === 'user') add('user', text);
    else if (m.role === 'assistant' && text) addMarkdown('assistant', text);
    for (const c of m.toolCalls || []) add('tool', '\u{1F527} ' + c.function.name + ' ' + c.function.arguments);
    if (m.role === 'tool') add('tool' + (m.error ? ' failed' : ''), '\u2192 ' + text);
  }
}
async function loadInterrupts() {
  const r = await fetch('/threads/' + encodeURIComponent(threadId) + '/interrupts', { headers: headers() });
  if (!r.ok) return;
  for (const i of (await r.json()).interrupts) showInterrupt(i);
}

// Interrupts: one card each; once every open one has an answer, a new run resumes with them.
const pending = new Map();
function showInterrupt(i) {
  if (pending.has(i.id)) return;
  const info = (i.metadata && i.metadata.mixtape) || {};
  const detail = info.toolName ? info.toolName + ' ' + JSON.stringify(info.input === undefined ? {} : info.input)
    : info.server ? 'MCP server ' + info.server + (info.url ? ': ' + info.url : '') + (info.messages ? '\n' + info.messages.map((m) => m.role + ': ' + m.text).join('\n') : '')
    : '';
  const div = add('approval', (i.message || 'The agent asks for input.') + '\n' + detail + '\n');
  div.dataset.interruptId = i.id;
  pending.set(i.id, { interrupt: i, answer: null, div });
  const button = (action, label, onclick) => { const b = document.createElement('button'); b.type = 'button'; b.dataset.action = action; b.textContent = label; b.onclick = onclick; div.appendChild(b); return b; };
  const resolved = (payload, label) => () => answer(i.id, { interruptId: i.id, status: 'resolved', payload }, label);
  if (i.reason === 'mixtape:mcp_sampling') {
    // A tool's MCP server asks to use the model: { approved, reason? }.
    button('approve', 'Allow', resolved({ approved: true }, 'Allowed'));
    button('deny', 'Refuse', resolved({ approved: false }, 'Refused'));
    return;
  }
  if (i.reason === 'mixtape:mcp_elicitation') {
    // A tool's MCP server asks the person: { action, content? } (content as JSON for a form).
    if (info.mode === 'url') {
      button('accept', 'Done', resolved({ action: 'accept' }, 'Done'));
    } else {
      const form = document.createElement('textarea'); form.className = 'edit-args'; form.rows = 4;
      const fields = {};
      for (const [k, f] of Object.entries((info.requestedSchema && info.requestedSchema.properties) || {})) fields[k] = f.default !== undefined ? f.default : '';
      form.value = JSON.stringify(fields, null, 2);
      div.appendChild(form);
      button('accept', 'Send', () => {
        let content;
        try { content = JSON.parse(form.value); } catch (e) { status('The answer is not JSON: ' + e.message); return; }
        answer(i.id, { interruptId: i.id, status: 'resolved', payload: { action: 'accept', content } }, 'Sent');
      });
    }
    button('decline', 'Decline', resolved({ action: 'decline' }, 'Declined'));
  }
  if (i.reason !== 'tool_call') {
    const b = document.createElement('button'); b.type = 'button'; b.textContent = 'Cancel'; b.dataset.action = 'cancel';
    b.onclick = () => answer(i.id, { interruptId: i.id, status: 'cancelled' }, 'Cancelled');
    div.appendChild(b);
    return;
  }
  const canEdit = !!(i.responseSchema && i.responseSchema.properties && i.responseSchema.properties.editedArgs);
  const reason = document.createElement('input'); reason.placeholder = 'Reason (optional)'; reason.className = 'reason';
  const editor = document.createElement('textarea'); editor.className = 'edit-args'; editor.hidden = true; editor.rows = 4; editor.value = JSON.stringify(info.input === undefined ? {} : info.input, null, 2);
  button('approve', 'Approve', () => answer(i.id, { interruptId: i.id, status: 'resolved', payload: { approved: true } }, 'Approved'));
  if (canEdit) {
    button('edit', 'Edit…', () => { editor.hidden = false; saveEdited.hidden = false; editor.focus(); });
    div.appendChild(editor);
    var saveEdited = button('approve-edited', 'Approve edited', () => {
      let args;
      try { args = JSON.parse(editor.value); } catch (e) { status('The edited arguments are not JSON: ' + e.message); return; }
      if (args === null || typeof args !== 'object' || Array.isArray(args)) { status('The edited arguments must be a JSON object.'); return; }
      answer(i.id, { interruptId: i.id, status: 'resolved', payload: { approved: true, editedArgs: args } }, 'Approved with edits');
    });
    saveEdited.hidden = true;
  }
  button('deny', 'Deny', () => answer(i.id, { interruptId: i.id, status: 'resolved', payload: reason.value ? { approved: false, reason: reason.value } : { approved: false } }, 'Denied'));
  div.appendChild(reason);
}
function answer(id, entry, label) {
  const p = pending.get(id);
  if (!p || p.answer) return;
  p.answer = entry;
  for (const x of p.div.querySelectorAll('button, input, textarea')) x.disabled = true;
  const note = document.createElement('div'); note.className = 'answer'; note.textContent = label; p.div.appendChild(note);
  const all = [...pending.values()];
  if (all.every((x) => x.answer)) {
    pending.clear();
    run({ messages: [], resume: all.map((x) => x.answer) });
  }
}

// The wait mode (approvals held in process): answered through the approvals endpoint.
function approval(value) {
  const div = add('approval', 'Permission needed: ' + value.toolName + ' ' + JSON.stringify(value.params) + (value.display ? '\n' + value.display : '') + '\n');
  const labels = { once: 'Allow once', exact: 'Allow this exact call', tool: 'Always allow ' + value.toolName, deny: 'Deny' };
  for (const action of value.actions) {
    const b = document.createElement('button');
    b.type = 'button'; b.textContent = labels[action] || action; b.dataset.action = action;
    b.onclick = async () => {
      for (const x of div.querySelectorAll('button')) x.disabled = true;
      const r = await fetch(value.approvalPath, { method: 'POST', headers: headers(), body: JSON.stringify({ action }) });
      const note = document.createElement('div');
      note.textContent = r.ok ? 'Answered: ' + labels[action] : 'Could not answer (' + r.status + ')';
      div.appendChild(note);
    };
    div.appendChild(b);
  }
}

let controller = null;
function running(on) {
  $('send').hidden = on; $('stop').hidden = !on; $('send').disabled = on;
  status(on ? 'running\u2026' : '');
}
$('stop').onclick = () => { if (controller) controller.abort(); };

async function run(part) {
  controller = new AbortController();
  running(true);
  const input = Object.assign({ threadId, runId: crypto.randomUUID(), tools: [], context: [], state: {}, forwardedProps: {} }, part);
  try {
    const r = await fetch(CONFIG.agentPath, { method: 'POST', headers: Object.assign(headers(), { accept: 'text/event-stream' }), body: JSON.stringify(input), signal: controller.signal });
    if (!r.ok) { const e = await r.json().catch(() => ({})); add('error', 'Error ' + r.status + ': ' + (e.message || r.statusText)); return; }
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    const texts = new Map(), tools = new Map();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = frame.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
        if (data) handle(JSON.parse(data), texts, tools);
      }
    }
  } catch (e) {
    if (e && e.name === 'AbortError') add('error stopped', 'Stopped.');
    else add('error', String(e));
  } finally {
    controller = null;
    running(false);
  }
}

// Streamed Markdown is rendered at most once per frame (each render reads the whole message).
function render(t) {
  if (t.scheduled) return;
  t.scheduled = true;
  requestAnimationFrame(() => { t.scheduled = false; markdown(t.div, t.raw); scroll(); });
}

function handle(e, texts, tools) {
  switch (e.type) {
    case 'TEXT_MESSAGE_START': texts.set(e.messageId, { raw: '', div: addMarkdown('assistant', '') }); break;
    case 'TEXT_MESSAGE_CONTENT': { const t = texts.get(e.messageId); if (t) { t.raw += e.delta; t.div.dataset.raw = t.raw; render(t); } break; }
    case 'TOOL_CALL_START': tools.set(e.toolCallId, { name: e.toolCallName, args: '', div: add('tool', '\u{1F527} ' + e.toolCallName) }); break;
    case 'TOOL_CALL_ARGS': { const t = tools.get(e.toolCallId); if (t) { t.args += e.delta; t.div.textContent = '\u{1F527} ' + t.name + ' ' + t.args; } break; }
    case 'TOOL_CALL_RESULT': { const failed = e.metadata && e.metadata.mixtape && e.metadata.mixtape.isError; const d = add('tool' + (failed ? ' failed' : ''), '\u2192 ' + e.content); d.dataset.toolCallId = e.toolCallId; break; }
    case 'CUSTOM':
      if (e.name === 'mixtape.permission_required') approval(e.value);
      if (e.name === 'mixtape.permission_resolved') status(e.value.toolName + ': ' + e.value.decision);
      break;
    case 'RUN_ERROR': add('error', e.message); break;
    case 'RUN_FINISHED':
      if (e.outcome && e.outcome.type === 'cancelled') add('error', 'The run was cancelled.');
      if (e.outcome && e.outcome.type === 'interrupt') for (const i of e.outcome.interrupts) showInterrupt(i);
      break;
  }
}

const prompt = $('prompt');
function submit() {
  const p = prompt.value.trim();
  if (!p || controller) return;
  if (pending.size) { status('Answer the pending approval first.'); return; }
  prompt.value = '';
  add('user', p);
  run({ messages: [{ id: crypto.randomUUID(), role: 'user', content: p }] });
}
$('form').addEventListener('submit', (ev) => { ev.preventDefault(); submit(); });
prompt.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); submit(); } });
loadHistory().then(loadInterrupts);
`;

/** The chat page. Text from the server is inserted with textContent or text nodes only (never as HTML). */
export function chatPageHtml(options: ChatPageOptions): string {
  const config = JSON.stringify({ agentPath: options.agentPath, authRequired: options.authRequired }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mixtape chat</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; display: flex; flex-direction: column; height: 100vh; background: #f6f6f4; }
  header { display: flex; gap: .5em; align-items: center; padding: .5em 1em; background: #222; color: #eee; flex-wrap: wrap; }
  header input { font: inherit; padding: .2em .4em; }
  #log { flex: 1; overflow-y: auto; padding: 1em; }
  .msg { max-width: 46em; margin: .4em 0; padding: .5em .8em; border-radius: 8px; white-space: pre-wrap; }
  .msg.md { white-space: normal; }
  .msg.md p { margin: .3em 0; white-space: pre-wrap; }
  .msg.md pre { background: #f3f3f3; padding: .5em; overflow-x: auto; }
  .user { background: #dbeafe; margin-left: auto; }
  .assistant { background: #fff; border: 1px solid #ddd; }
  .tool { background: #f3f0ff; border: 1px dashed #a78bfa; font-family: ui-monospace, monospace; font-size: 13px; }
  .tool.failed { border-color: #ef4444; background: #fef2f2; }
  .approval { background: #fff7ed; border: 1px solid #fb923c; }
  .approval button { margin: .3em .3em 0 0; }
  .approval textarea, .approval input { display: block; width: 100%; box-sizing: border-box; margin-top: .3em; font: 13px ui-monospace, monospace; }
  .error { background: #fee2e2; border: 1px solid #ef4444; }
  form { display: flex; gap: .5em; padding: .7em 1em; background: #fff; border-top: 1px solid #ddd; align-items: flex-end; }
  form textarea { flex: 1; font: inherit; padding: .4em; resize: vertical; min-height: 2.4em; }
</style>
</head>
<body>
<header>
  <strong>Mixtape</strong>
  <label id="token-label">Token <input id="token" type="password" autocomplete="off" size="18"></label>
  <span>Thread <code id="thread"></code></span>
  <button id="new-thread" type="button">New thread</button>
  <span id="status" role="status"></span>
</header>
<main id="log" aria-live="polite"></main>
<form id="form"><textarea id="prompt" rows="2" placeholder="Message (Enter sends, Shift+Enter for a new line)" autocomplete="off"></textarea><button id="send">Send</button><button id="stop" type="button" hidden>Stop</button></form>
<script>
const CONFIG = ${config};
${SCRIPT}
</script>
</body>
</html>
`;
}
