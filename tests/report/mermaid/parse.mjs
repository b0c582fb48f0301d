// Parse Mermaid diagrams with mermaid's own parser (no browser: jsdom supplies the DOM it expects).
// Input on stdin: a JSON list of diagram sources. Output on stdout: a JSON list, one per diagram:
// {ok: true, type} or {ok: false, error}.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMPurify = undefined;

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const text of JSON.parse(input)) {
  try {
    const result = await mermaid.parse(text);
    out.push({ ok: true, type: result.diagramType });
  } catch (err) {
    out.push({ ok: false, error: String(err && err.message ? err.message : err) });
  }
}
process.stdout.write(JSON.stringify(out));
