// hybrid_rec playground: plain JS over the service's own REST API (no library, nothing from a CDN).
// Every call carries the API key typed above (kept for this browser tab only); errors are shown as
// the API's one-line messages.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { key: sessionStorage.getItem("hybrid_rec_key") || "", conversation: null, reactions: {} };
// What the served catalog calls things (GET /catalog): hints in its own words, its category field under its own name.
const catalog = { noun: "item", field: null };

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

// One line from any error body: {"detail": "..."} or FastAPI's 422 {"detail": [{"loc": [...], "msg": ...}]}.
function errorLine(status, body) {
  const detail = body && body.detail;
  if (typeof detail === "string") return `${status}: ${detail}`;
  if (Array.isArray(detail) && detail.length) {
    const first = detail[0];
    const where = (first.loc || []).filter((p) => p !== "body").join(".");
    return `${status}: ${where ? where + ": " : ""}${first.msg}`;
  }
  return `${status}: the server answered without a message`;
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (state.key) headers["X-API-Key"] = state.key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (exc) {
    throw new Error(`the service cannot be reached (${exc.message})`);
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = { detail: text.slice(0, 200) }; }
  if (!response.ok) throw new Error(errorLine(response.status, data));
  return data;
}

async function guarded(work) {
  showError("");
  try { await work(); } catch (exc) { showError(exc.message); }
}

function userId() {
  const value = $("user-id").value.trim();
  if (!value) throw new Error("type a user id first");
  return value;
}

// ------------------------------------------------------------------ the request's reading
function renderReading(box, reading) {
  box.replaceChildren();
  if (!reading) { box.hidden = true; return; }
  box.hidden = false;
  box.className = reading.understood ? "reading" : "reading none";
  box.appendChild(el("div", `Request read as: ${reading.note}`, "note"));
  const parts = [];
  if (reading.asked_for.length) parts.push(`asked for: ${reading.asked_for.join(", ")}`);
  if (reading.excluded.length) parts.push(`excluded: ${reading.excluded.join(", ")}`);
  if (reading.years) parts.push(`period: ${reading.years.join("-")}`);
  if (reading.excluded_years) parts.push(`period excluded: ${reading.excluded_years.join("-")}`);
  if (reading.like.length) parts.push(`like: ${reading.like.join(", ")}`);
  if (reading.unlike.length) parts.push(`unlike: ${reading.unlike.join(", ")}`);
  const avoided = Object.keys(reading.avoided || {});
  if (avoided.length) parts.push(`ranked lower (unsure rejection): ${avoided.join(", ")}`);
  const sure = Object.entries(reading.probabilities || {});
  if (sure.length) {
    parts.push("how sure: " + sure.map(([v, p]) =>
      `${v} wanted ${p.wanted.toFixed(2)} / rejected ${p.rejected.toFixed(2)}`).join("; "));
  }
  if (!reading.understood) parts.push("nothing in it was understood; the list is the user's usual one");
  if (parts.length) box.appendChild(el("div", parts.join(" · "), "muted"));
}

// ------------------------------------------------------------------ lists of items
const REACTIONS = [["clicked", "clicked"], ["rejected", "not for me"], ["more_like", "more like"], ["less_like", "less like"]];

function fmt(x) { return x === null || x === undefined ? "n/a" : Number(x).toFixed(3); }

function renderItems(list, items, reactable) {
  list.replaceChildren();
  for (const item of items) {
    const li = el("li");
    li.dataset.itemId = String(item.item_id);
    li.appendChild(el("div", item.item_text || String(item.item_id), "title"));
    const why = item.reasons && item.reasons.length ? item.reasons.join("; ") : "no reason in words";
    li.appendChild(el("div", `Why: ${why}`, "why"));
    const cf = Object.entries(item.cf_scores || {}).map(([s, v]) => `${s} ${fmt(v)}`).join(", ");
    const session = Object.entries(item.session_scores || {}).map(([s, v]) => `${s} ${fmt(v)}`).join(", ");
    li.appendChild(el("div", `id ${item.item_id} · score ${fmt(item.score)} · LM ${fmt(item.lm_score)} · from ${
      (item.sources || []).join(", ") || "n/a"}${cf ? " · CF " + cf : ""}${session ? " · session " + session : ""}`,
      "scores"));
    if (reactable) {
      const row = el("div", null, "reacts");
      for (const [kind, label] of REACTIONS) {
        const button = el("button", label, "react");
        button.type = "button";
        button.dataset.kind = kind;
        button.setAttribute("aria-pressed", "false");
        button.setAttribute("aria-label", `${label}: ${item.item_text || item.item_id}`);
        button.addEventListener("click", () => toggleReaction(item.item_id, kind, button));
        row.appendChild(button);
      }
      li.appendChild(row);
    }
    list.appendChild(li);
  }
}

function toggleReaction(itemId, kind, button) {
  const chosen = state.reactions[kind] || (state.reactions[kind] = []);
  const at = chosen.indexOf(itemId);
  if (at >= 0) chosen.splice(at, 1); else chosen.push(itemId);
  button.setAttribute("aria-pressed", String(at < 0));
}

function showRound(page) {
  state.reactions = {};
  renderReading($("reading"), page.request_reading);
  $("round-info").textContent = `Round ${page.round} (model version ${page.version}); react to items, then ask for the next round.`;
  renderItems($("recs"), page.items, true);
  $("next-round").hidden = page.items.length === 0;
  if (!page.items.length) $("round-info").textContent = `Round ${page.round}: nothing more to show.`;
}

function k() { return Number($("k").value) || 10; }

// ------------------------------------------------------------------ handlers
$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.key = $("api-key").value;
  sessionStorage.setItem("hybrid_rec_key", state.key);
  $("key-state").textContent = state.key ? "key set for this tab" : "no key";
});

// Suggestions while typing: best effort, never shown as an error (a wrong key is reported by the
// actions that need it); a reply that arrives after a newer search is dropped.
let searchTimer = null;
let searchSeq = 0;
function cancelSearch() { clearTimeout(searchTimer); searchSeq += 1; }
$("user-id").addEventListener("input", () => {
  cancelSearch();
  const seq = searchSeq;
  searchTimer = setTimeout(async () => {
    try {
      const found = await api("GET", `/users?prefix=${encodeURIComponent($("user-id").value.trim())}&limit=20`);
      if (seq !== searchSeq) return;
      $("user-options").replaceChildren(...found.users.map((u) => { const o = el("option"); o.value = String(u); return o; }));
    } catch (_) { /* suggestions are optional */ }
  }, 200);
});
for (const form of ["user-form", "rec-form", "rerank-form"]) $(form).addEventListener("submit", cancelSearch);

$("user-form").addEventListener("submit", (event) => {
  event.preventDefault();
  guarded(async () => {
    const user = await api("GET", `/users/${encodeURIComponent(userId())}?limit=15`);
    $("history-summary").textContent = `User ${user.user_id}: ${user.total} items; the most recent first:`;
    $("history").replaceChildren(...user.items.map((i) => el("li", i.text)));  // the text ends with its categories
  });
});

$("rec-form").addEventListener("submit", (event) => {
  event.preventDefault();
  guarded(async () => {
    const request = $("request").value.trim() || null;
    const started = await api("POST", "/conversations", { user_id: userId(), request });
    state.conversation = started.conversation_id;
    showRound(await api("POST", `/conversations/${state.conversation}/next`, { k: k() }));
  });
});

$("next-round").addEventListener("click", () => guarded(async () => {
  if (!state.conversation) throw new Error("ask for recommendations first");
  const reacted = { clicked: [], rejected: [], more_like: [], less_like: [], ...state.reactions };
  await api("POST", `/conversations/${state.conversation}/feedback`, reacted);
  showRound(await api("POST", `/conversations/${state.conversation}/next`, { k: k() }));
}));

$("rerank-form").addEventListener("submit", (event) => {
  event.preventDefault();
  guarded(async () => {
    const ids = $("rerank-ids").value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
    if (!ids.length) throw new Error("paste at least one item id to rerank");
    const request = $("request").value.trim() || null;
    const page = await api("POST", "/rerank", { user_id: userId(), item_ids: ids, request });
    renderReading($("rerank-reading"), page.request_reading);
    renderItems($("reranked"), page.items, false);
    const why = { unknown: "not in the model", seen: "already has it", session: "this session's" };
    const left = (page.left_out || []).map((x) => `${x.item_id} (${why[x.reason] || x.reason})`);
    $("rerank-left").textContent = left.length ? `Left out: ${left.join(", ")}` : "";
    $("rerank-left").hidden = !left.length;
  });
});

$("item-form").addEventListener("submit", (event) => {
  event.preventDefault();
  guarded(async () => {
    const item = await api("GET", `/items/${encodeURIComponent($("item-id").value.trim())}`);
    const rows = [["id", item.item_id], ["text", item.text], [catalog.field || "categories", item.categories.join(", ") || "-"]];
    for (const [name, value] of Object.entries(item.fields)) {
      if (name !== "title" && name !== catalog.field) rows.push([name, Array.isArray(value) ? value.join(", ") : value]);
    }
    $("item-info").replaceChildren(...rows.flatMap(([n, v]) => [el("dt", n), el("dd", v)]));
  });
});

api("GET", "/catalog").then((summary) => {
  catalog.noun = summary.noun;
  catalog.field = summary.category_field;
  $("request").placeholder = `e.g. ${summary.example_request}`;
  $("rec-h").textContent = `Recommend ${summary.noun}s`;
}).catch(() => {});  // an older server without /catalog: the page's neutral hints stay

$("api-key").value = state.key;
$("key-state").textContent = state.key ? "key set for this tab" : "";
