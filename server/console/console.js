// 一件事一次办 · 客服工作台: plain JavaScript, no build step. Every text from the server is put in the
// page with textContent (never as HTML), so nothing a citizen typed can run in an operator's browser.
"use strict";

const REPLY_TYPES = {
  fallback: "未识别", clarify: "需澄清", question: "情形追问", checklist: "一次告知",
  answer: "追问解答", items: "可选事项", reset: "重新开始", handoff: "转人工", operator: "人工服务中",
};
const HANDOFF_STATUS = { waiting: "排队中", active: "人工服务中", returned: "已交还导办", closed: "已结束" };
const CASE_KINDS = { rating_followup: "差评回访整改", consultation: "咨询", complaint: "投诉", suggestion: "建议" };
const CASE_ACTIONS = { revisit: "回访", rectify: "整改", reply: "答复" };
const LOW_CONFIDENCE = 0.5;
const NONE = "__none__";

const state = { me: null, bundles: [], bundleNames: {}, timers: [], canned: null };

// --- small helpers ------------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "value") el.value = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function toast(message, isError) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.className = "show" + (isError ? " error" : "");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.className = ""; }, 2600);
}

function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function fmtWait(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m ? `${m}分${String(s % 60).padStart(2, "0")}秒` : `${s}秒`;
}

function bundleName(slug) {
  if (!slug) return "未识别";
  return state.bundleNames[slug] || slug;
}

function badge(text, color) { return h("span", { class: "badge" + (color ? " " + color : "") }, text); }

function replyBadge(type) {
  const color = type === "fallback" ? "red" : type === "clarify" ? "amber" : type === "checklist" ? "green" : type === "handoff" || type === "operator" ? "blue" : "";
  return badge(REPLY_TYPES[type] || type, color);
}

function confidenceView(value) {
  if (value === null || value === undefined) return h("span", { class: "muted" }, "—");
  const low = value < LOW_CONFIDENCE;
  return h("span", { class: "confidence" + (low ? " low" : "") },
    h("span", { class: "bar" }, h("span", { style: `width:${Math.round(value * 100)}%` })),
    value.toFixed(2));
}

function every(ms, fn) {
  const id = setInterval(fn, ms);
  state.timers.push(id);
  return id;
}

function isSupervisor() { return state.me && state.me.role === "supervisor"; }

// --- the API, with the token kept for this tab only --------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function refresh() {
  const token = sessionStorage.getItem("refresh_token");
  if (!token) return false;
  const response = await fetch("/api/v1/operators/refresh", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token: token }),
  });
  if (!response.ok) return false;
  const pair = await response.json();
  sessionStorage.setItem("access_token", pair.access_token);
  sessionStorage.setItem("refresh_token", pair.refresh_token);
  return true;
}

async function api(method, path, body, retried) {
  const headers = { Authorization: "Bearer " + (sessionStorage.getItem("access_token") || "") };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && !retried && (await refresh())) return api(method, path, body, true);
  if (response.status === 401) { logout(); throw new ApiError(401, "unauthorized", "请重新登录"); }
  const type = response.headers.get("content-type") || "";
  const data = type.includes("application/json") ? await response.json() : await response.text();
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || "error", error.message || "请求失败");
  }
  return data;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v !== null && v !== undefined && v !== false) q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

// --- login and shell ----------------------------------------------------------------------------

async function login(event) {
  event.preventDefault();
  const error = document.getElementById("login-error");
  error.textContent = "";
  const response = await fetch("/api/v1/operators/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: document.getElementById("username").value, password: document.getElementById("password").value }),
  });
  const data = await response.json();
  if (!response.ok) {
    error.textContent = response.status === 429 ? "尝试次数过多,请稍后再试" : "用户名或密码错误";
    return;
  }
  sessionStorage.setItem("access_token", data.access_token);
  sessionStorage.setItem("refresh_token", data.refresh_token);
  document.getElementById("password").value = "";
  await start();
}

function logout() {
  const token = sessionStorage.getItem("access_token");
  if (token) fetch("/api/v1/operators/logout", { method: "POST", headers: { Authorization: "Bearer " + token } }).catch(() => {});
  sessionStorage.clear();
  state.me = null;
  stopTimers();
  document.getElementById("app").classList.add("hidden");
  document.getElementById("login").classList.remove("hidden");
}

async function start() {
  try {
    state.me = await api("GET", "/api/v1/operators/me");
  } catch (e) {
    document.getElementById("login").classList.remove("hidden");
    return;
  }
  document.getElementById("login").classList.add("hidden");
  document.getElementById("app").classList.remove("hidden");
  document.getElementById("me-name").textContent = `${state.me.username} · ${state.me.role === "supervisor" ? "主管" : "客服"}`;
  for (const el of document.querySelectorAll(".supervisor-only")) el.classList.toggle("hidden", !isSupervisor());
  const bundles = await fetch("/api/v1/bundles").then((r) => r.json());
  state.bundles = bundles.bundles;
  state.bundleNames = Object.fromEntries(bundles.bundles.map((b) => [b.slug, b.name]));
  if (!location.hash) location.hash = "#/conversations";
  route();
}

function stopTimers() {
  for (const id of state.timers) clearInterval(id);
  state.timers = [];
}

function route() {
  if (!state.me) return;
  stopTimers();
  const [path, search] = location.hash.slice(1).split("?");
  const params = new URLSearchParams(search || "");
  const parts = path.split("/").filter(Boolean);
  const views = {
    conversations: () => conversationsView(params),
    conversation: () => transcriptView(parts[1]),
    inbox: () => inboxView(),
    queue: () => queueView(parts[1]),
    unmatched: () => unmatchedView(),
    cases: () => casesView(params),
    case: () => caseView(parts[1]),
    stats: () => statsView(),
  };
  const name = views[parts[0]] ? parts[0] : "conversations";
  const navName = { conversation: "conversations", case: "cases" }[name] || name;
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.view === navName);
  const view = document.getElementById("view");
  view.replaceChildren(h("div", { class: "empty" }, "加载中…"));
  views[name]().catch((e) => {
    view.replaceChildren(h("div", { class: "card" }, h("h2", {}, "出错了"), h("p", {}, e.message)));
  });
  every(5000, updateQueueCount);
  updateQueueCount();
}

async function updateQueueCount() {
  try {
    const queue = await api("GET", "/api/v1/handoffs");
    const el = document.getElementById("queue-count");
    el.textContent = queue.waiting.length;
    el.classList.toggle("hidden", queue.waiting.length === 0);
  } catch (e) { /* shown on the next successful poll */ }
}

function show(...nodes) { document.getElementById("view").replaceChildren(...nodes.filter((n) => n)); }

function bundleSelect(value, { withAll, withNone, id } = {}) {
  return h("select", { id },
    withAll ? h("option", { value: "" }, "全部一件事") : null,
    withNone ? h("option", { value: NONE }, "不属于任何一件事") : null,
    state.bundles.map((b) => h("option", { value: b.slug, selected: b.slug === value }, b.name)));
}

// --- 会话审阅 -----------------------------------------------------------------------------------

async function conversationsView(params) {
  const limit = 20;
  const offset = Number(params.get("offset") || 0);
  const f = {
    since: params.get("since") || "", until: params.get("until") || "", bundle: params.get("bundle") || "",
    reply_type: params.get("reply_type") || "", low: params.get("low") === "1", handed: params.get("handed") === "1",
    bad: params.get("bad") === "1", applied: params.get("applied") === "1", q: params.get("q") || "",
  };
  const apiParams = {
    since: f.since ? new Date(f.since).toISOString() : "", until: f.until ? new Date(f.until).toISOString() : "",
    bundle: f.bundle, reply_type: f.reply_type, max_confidence: f.low ? LOW_CONFIDENCE : "",
    handed_over: f.handed ? "true" : "", rated_bad: f.bad ? "true" : "", has_application: f.applied ? "true" : "", q: f.q, limit, offset,
  };
  const data = await api("GET", "/api/v1/conversations" + query(apiParams));

  const since = h("input", { type: "datetime-local", id: "f-since", value: f.since });
  const until = h("input", { type: "datetime-local", id: "f-until", value: f.until });
  const bundle = bundleSelect(f.bundle, { withAll: true, id: "f-bundle" });
  bundle.prepend();
  const replyType = h("select", { id: "f-reply-type" }, h("option", { value: "" }, "全部回复类型"),
    Object.entries(REPLY_TYPES).map(([k, v]) => h("option", { value: k, selected: k === f.reply_type }, v)));
  const low = h("input", { type: "checkbox", id: "f-low", checked: f.low });
  const handed = h("input", { type: "checkbox", id: "f-handed", checked: f.handed });
  const bad = h("input", { type: "checkbox", id: "f-bad", checked: f.bad });
  const applied = h("input", { type: "checkbox", id: "f-applied", checked: f.applied });
  const q = h("input", { type: "search", id: "f-q", placeholder: "搜索用户说的话", value: f.q });
  const apply = (event) => {
    if (event) event.preventDefault();
    location.hash = "#/conversations" + query({
      since: since.value, until: until.value, bundle: bundle.value, reply_type: replyType.value,
      low: low.checked ? "1" : "", handed: handed.checked ? "1" : "", bad: bad.checked ? "1" : "", applied: applied.checked ? "1" : "", q: q.value,
    });
  };
  const filters = h("form", { class: "card toolbar", onsubmit: apply, id: "filters" },
    h("label", {}, "从", since), h("label", {}, "到", until), bundle, replyType,
    h("label", {}, low, "低置信度"), h("label", {}, handed, "转过人工"), h("label", {}, bad, "差评"), h("label", {}, applied, "已申请办件"),
    q, h("button", { class: "primary", type: "submit", id: "f-apply" }, "筛选"),
    h("button", { type: "button", onclick: () => { location.hash = "#/conversations"; } }, "清空"));

  const rows = data.conversations.map((c) => h("tr", { class: "clickable", "data-id": c.id, onclick: () => { location.hash = "#/conversation/" + c.id; } },
    h("td", {}, fmtTime(c.updated_at)),
    h("td", { class: "text", title: c.first_text || "" }, c.first_text || h("span", { class: "muted" }, "(按钮回答)")),
    h("td", {}, c.bundle ? badge(bundleName(c.bundle), "blue") : badge("未识别")),
    h("td", {}, c.turn_count),
    h("td", {}, Object.entries(c.reply_types).map(([t, n]) => h("span", {}, replyBadge(t), n > 1 ? `×${n} ` : ""))),
    h("td", {}, confidenceView(c.min_confidence)),
    h("td", {}, c.handoff_status ? badge(HANDOFF_STATUS[c.handoff_status], "blue") : ""),
    h("td", {}, c.rating ? badge(`${c.rating}分`, c.rating <= 2 ? "red" : "green") : "", c.application_ids.length ? badge("已申请", "green") : "")));
  const table = h("table", { id: "conversation-table" },
    h("thead", {}, h("tr", {}, ["最近活动", "用户首句", "一件事", "轮数", "回复类型", "最低置信度", "人工", "评价/办件"].map((t) => h("th", {}, t)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 8, class: "empty" }, "没有符合条件的会话"))));
  const page = (to) => { params.set("offset", to); location.hash = "#/conversations?" + params.toString(); };
  const pager = h("div", { class: "pager" }, h("span", { class: "muted" }, `共 ${data.total} 个会话`),
    h("button", { disabled: offset === 0, onclick: () => page(Math.max(0, offset - limit)) }, "上一页"),
    h("button", { disabled: data.next_offset === null, onclick: () => page(data.next_offset) }, "下一页"));
  show(h("h1", {}, "会话审阅"), filters, h("div", { class: "card" }, table, pager));
}

// --- 会话详情 + 标注 ------------------------------------------------------------------------------

function replySummary(reply) {
  if (!reply) return "";
  if (reply.type === "checklist" && reply.checklist) {
    const c = reply.checklist;
    return `一次告知:${c.name || ""},材料 ${(c.materials || []).length} 项,步骤 ${(c.steps || []).length} 步`;
  }
  if (reply.type === "clarify") return `${reply.text || ""}(${(reply.options || []).map((o) => o.label).join(" / ")})`;
  if (reply.type === "question") return `${reply.text}(${(reply.options || []).map((o) => o.label).join(" / ")})`;
  return reply.text || JSON.stringify(reply).slice(0, 200);
}

async function situationEditor(slug, current) {
  const box = h("span", { class: "situation" });
  if (!slug || slug === NONE) return box;
  const guide = await fetch("/api/v1/bundles/" + slug).then((r) => r.json());
  for (const q of guide.questions || []) {
    box.append(h("select", { "data-question": q.id, title: q.text },
      h("option", { value: "" }, q.text.length > 14 ? q.text.slice(0, 14) + "…" : q.text),
      q.options.map((o) => h("option", { value: o.id, selected: current && current[q.id] === o.id }, o.label))));
  }
  return box;
}

function labelEditor(turn, onSaved) {
  const label = turn.label;
  const initial = label ? (label.bundle || NONE) : (turn.bundle || "");
  const select = bundleSelect(initial, { withNone: true });
  select.classList.add("label-bundle");
  if (!label && !turn.bundle) select.prepend(h("option", { value: "", selected: true }, "应匹配的一件事…"));
  const holder = h("span", {});
  const refreshSituation = async () => { holder.replaceChildren(await situationEditor(select.value, label && label.situation)); };
  select.addEventListener("change", refreshSituation);
  refreshSituation();
  const save = h("button", { class: "primary small label-save", type: "button", onclick: async () => {
    if (!select.value) { toast("请选择应匹配的一件事", true); return; }
    const situation = {};
    for (const s of holder.querySelectorAll("select[data-question]")) if (s.value) situation[s.dataset.question] = s.value;
    try {
      const saved = await api("PUT", `/api/v1/turns/${turn.id}/label`, { bundle: select.value === NONE ? null : select.value, situation });
      toast("标注已保存,待主管审核");
      onSaved(saved.label);
    } catch (e) { toast(e.message, true); }
  } }, label ? "更新标注" : "保存标注");
  const status = label ? badge({ proposed: "待审核", approved: "已通过", rejected: "已驳回" }[label.status], label.status === "approved" ? "green" : label.status === "rejected" ? "red" : "amber") : null;
  return h("div", { class: "labelbox" }, h("div", { class: "labelrow" }, h("span", { class: "muted" }, "标注为"), select, save, status), holder);
}

async function transcriptView(id) {
  const data = await api("GET", "/api/v1/conversations/" + encodeURIComponent(id));
  const turns = data.turns.map((turn) => {
    const box = h("div", { class: "turn", "data-seq": turn.seq, "data-turn-id": turn.id },
      h("div", { class: "user" }, h("span", { class: "badge" }, `#${turn.seq}`), h("span", { class: "text" }, turn.text)),
      h("div", { class: "meta" }, replyBadge(turn.reply_type), "识别:", turn.bundle ? badge(bundleName(turn.bundle), "blue") : badge("未识别"),
        "置信度:", confidenceView(turn.confidence), h("span", { class: "muted" }, `${fmtTime(turn.created_at)} · ${Math.round(turn.latency_ms)} ms`)),
      h("div", { class: "reply" }, replySummary(turn.reply)));
    if (!turn.structured) {
      const mount = (t) => { const editor = labelEditor(t, (saved) => { editor.replaceWith(mount({ ...t, label: saved })); }); return editor; };
      box.append(mount(turn));
    }
    return box;
  });
  const chat = data.messages.length ? h("div", { class: "card" }, h("h2", {}, "人工服务记录"),
    h("div", { class: "transcript" }, data.messages.map((m) => h("div", { class: "bubble " + m.sender },
      h("div", { class: "who" }, { citizen: "群众", operator: "客服", system: "系统" }[m.sender] + " · " + fmtTime(m.created_at)), m.text)))) : null;
  const rating = data.rating ? h("div", { class: "card" }, h("h2", {}, "好差评"),
    badge(`${data.rating.score}分`, data.rating.score <= 2 ? "red" : "green"), " ", data.rating.comment) : null;
  show(
    h("a", { class: "back", href: "#/conversations" }, "← 返回会话列表"),
    h("h1", {}, "会话详情"),
    h("div", { class: "card toolbar" }, h("span", {}, "会话 ", h("code", {}, data.id)), data.bundle ? badge(bundleName(data.bundle), "blue") : badge("未识别"),
      h("span", { class: "muted" }, `${data.turn_count} 轮 · 开始于 ${fmtTime(data.created_at)}`),
      data.handoffs.map((x) => badge("转人工:" + HANDOFF_STATUS[x.status], "blue")),
      h("span", { class: "grow" }), h("span", { class: "muted" }, "查看已记入审计日志,个人信息已脱敏")),
    h("div", { class: "transcript", id: "transcript" }, turns), chat, rating);
}

// --- 标注学习 (NLU inbox) ------------------------------------------------------------------------

async function inboxView() {
  const data = await api("GET", "/api/v1/labels/inbox?limit=30");
  const list = data.turns.map((t) => {
    const row = h("div", { class: "turn", "data-turn-id": t.turn_id },
      h("div", { class: "user" }, h("span", { class: "text" }, t.text)),
      h("div", { class: "meta" }, replyBadge(t.reply_type), "识别:", t.bundle ? badge(bundleName(t.bundle), "blue") : badge("未识别"), "置信度:", confidenceView(t.confidence),
        h("a", { href: "#/conversation/" + t.conversation_id }, "查看会话")));
    row.append(labelEditor({ id: t.turn_id, bundle: t.bundle, label: null }, () => row.remove()));
    return row;
  });
  const parts = [h("h1", {}, "标注学习"),
    h("p", { class: "muted" }, "未标注的用户话语,置信度最低的在前。标注经主管审核后才会导出,不会直接改动知识库。"),
    h("div", { class: "transcript", id: "inbox" }, list.length ? list : h("div", { class: "empty card" }, "没有待标注的话语"))];
  if (isSupervisor()) parts.splice(2, 0, await reviewPanel());
  show(...parts);
}

async function reviewPanel() {
  const data = await api("GET", "/api/v1/labels?status=proposed&limit=50");
  const review = async (id, approve, row) => {
    try { await api("POST", `/api/v1/labels/${id}/review`, { approve }); row.remove(); toast(approve ? "已通过" : "已驳回"); } catch (e) { toast(e.message, true); }
  };
  const rows = data.labels.map((l) => {
    const row = h("tr", {}, h("td", {}, l.text), h("td", {}, bundleName(l.guide_bundle)), h("td", {}, l.bundle ? bundleName(l.bundle) : "不属于任何一件事"),
      h("td", {}, Object.entries(l.situation).map(([q, o]) => badge(`${q}=${o}`))),
      h("td", {}, h("button", { class: "small primary", onclick: () => review(l.id, true, row) }, "通过"), " ",
        h("button", { class: "small danger", onclick: () => review(l.id, false, row) }, "驳回")));
    return row;
  });
  const download = async () => {
    const text = await api("GET", "/api/v1/labels/export");
    const url = URL.createObjectURL(new Blob([text], { type: "application/x-ndjson" }));
    h("a", { href: url, download: "labels.jsonl" }).click();
    URL.revokeObjectURL(url);
  };
  const proposals = h("pre", { class: "hidden", id: "proposals" });
  const showProposals = async () => {
    const data = await api("GET", "/api/v1/labels/lexicon-proposals");
    proposals.textContent = data.yaml || "(暂无建议:已通过的标注与导办识别一致)";
    proposals.classList.remove("hidden");
  };
  return h("div", { class: "card" }, h("div", { class: "toolbar" }, h("h2", { class: "grow" }, "待审核标注(主管)"),
    h("button", { onclick: download }, "导出评测集 JSONL"), h("button", { onclick: showProposals }, "词库补充建议")),
    h("table", {}, h("thead", {}, h("tr", {}, ["用户话语", "导办识别", "标注为", "情形", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 5, class: "empty" }, "没有待审核的标注")))), proposals);
}

// --- 转人工 -------------------------------------------------------------------------------------

async function queueView(selected) {
  if (!state.canned) state.canned = (await api("GET", "/api/v1/canned-replies")).canned_replies;
  const waitingBox = h("div", { id: "waiting" });
  const mineBox = h("div", { id: "mine" });
  const chatBox = h("div", { class: "card chat", id: "chat" }, h("div", { class: "empty" }, "从左侧选择或接入一个会话"));
  const accepting = h("input", { type: "checkbox", checked: true, onchange: () => api("PUT", "/api/v1/handoffs/availability", { accepting: accepting.checked }) });
  const summary = h("span", { class: "muted" });
  let current = selected || null;

  const renderQueue = async () => {
    const queue = await api("GET", "/api/v1/handoffs");
    summary.textContent = `排队 ${queue.waiting.length} · 我的 ${queue.mine.length}/${queue.cap} · 分配方式:${queue.assignment === "round_robin" ? "轮流分配" : "自行接入"}`;
    waitingBox.replaceChildren(...(queue.waiting.length ? queue.waiting.map((x) => h("div", { class: "queue-item", "data-handoff": x.id },
      h("div", { class: "row" }, h("strong", {}, `第 ${x.position} 位`), h("span", { class: "wait" + (x.waited_seconds > 120 ? " long" : ""), "data-since": x.requested_at }, "等待 " + fmtWait(x.waited_seconds))),
      h("div", { class: "row" }, h("a", { href: "#/conversation/" + x.conversation_id, class: "muted" }, "查看对话"), x.polite_sent_at ? badge("已致歉", "amber") : null,
        h("button", { class: "primary small claim", onclick: async () => {
          try { await api("POST", `/api/v1/handoffs/${x.id}/claim`); current = x.id; toast("已接入"); location.hash = "#/queue/" + x.id; } catch (e) { toast(e.message, true); renderQueue(); }
        } }, "接入")))) : [h("div", { class: "empty" }, "暂无排队")]));
    mineBox.replaceChildren(...(queue.mine.length ? queue.mine.map((x) => h("div", { class: "queue-item" + (x.id === current ? " selected" : ""), "data-handoff": x.id, onclick: () => { location.hash = "#/queue/" + x.id; } },
      h("div", { class: "row" }, h("strong", {}, "会话 " + x.conversation_id.slice(0, 8)), badge("服务中", "blue")),
      h("div", { class: "muted" }, "接入于 " + fmtTime(x.claimed_at)))) : [h("div", { class: "empty" }, "没有正在服务的会话")]));
  };
  await renderQueue();
  every(2000, renderQueue);
  show(h("h1", {}, "转人工"), h("div", { class: "card toolbar" }, summary, h("span", { class: "grow" }), h("label", {}, accepting, "接受系统分配")),
    h("div", { class: "queue-layout" }, h("div", {}, h("h2", {}, "排队中"), waitingBox, h("h2", {}, "我的会话"), mineBox), chatBox));
  if (current) await openChat(current, chatBox);
}

async function openChat(handoffId, box) {
  let after = 0;
  let ended = false;
  const list = h("div", { class: "messages", id: "messages" });
  const input = h("textarea", { id: "chat-input", placeholder: "输入回复,Enter 发送,Shift+Enter 换行" });
  const data = await api("GET", `/api/v1/handoffs/${handoffId}/messages`);
  const conversation = await api("GET", "/api/v1/conversations/" + data.handoff.conversation_id).catch(() => null);
  if (conversation) {
    for (const t of conversation.turns.slice(-6)) {
      list.append(h("div", { class: "bubble citizen" }, h("div", { class: "who" }, "群众 · 与导办的对话"), t.text));
      list.append(h("div", { class: "bubble guide" }, h("div", { class: "who" }, "智能导办"), replySummary(t.reply)));
    }
  }
  const append = (messages) => {
    for (const m of messages) {
      after = Math.max(after, m.id);
      list.append(h("div", { class: "bubble " + m.sender, "data-message": m.id }, h("div", { class: "who" }, { citizen: "群众", operator: "我", system: "系统" }[m.sender] + " · " + fmtTime(m.created_at)), m.text));
    }
    if (messages.length) list.scrollTop = list.scrollHeight;
  };
  append(data.messages);
  const send = async () => {
    const text = input.value.trim();
    if (!text) return;
    try { await api("POST", `/api/v1/handoffs/${handoffId}/messages`, { text }); input.value = ""; await poll(); } catch (e) { toast(e.message, true); }
  };
  input.addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); } });
  const poll = async () => {
    if (ended) return;
    const fresh = await api("GET", `/api/v1/handoffs/${handoffId}/messages?after=${after}`);
    append(fresh.messages);
    if (fresh.handoff.status !== "active") { ended = true; input.disabled = true; }
  };
  every(1500, poll);
  const end = async (how) => {
    try { await api("POST", `/api/v1/handoffs/${handoffId}/${how}`); toast(how === "release" ? "已交还智能导办" : "会话已结束"); location.hash = "#/queue"; } catch (e) { toast(e.message, true); }
  };
  const canned = h("div", { class: "canned" }, h("span", { class: "muted" }, "快捷回复:"),
    state.canned.map((c) => h("button", { class: "small", type: "button", title: c.text, onclick: () => { input.value = (input.value ? input.value + " " : "") + c.text; input.focus(); } }, c.title)));
  box.replaceChildren(
    h("div", { class: "toolbar" }, h("h2", { class: "grow" }, "与群众对话"), data.handoff.status !== "active" ? badge(HANDOFF_STATUS[data.handoff.status]) : null,
      h("button", { id: "release", onclick: () => end("release") }, "交还智能导办"), h("button", { class: "danger", id: "close", onclick: () => end("close") }, "结束会话")),
    list, canned, h("div", { class: "compose" }, input, h("button", { class: "primary", id: "send", onclick: send }, "发送")));
  if (data.handoff.status !== "active") { ended = true; input.disabled = true; }
  list.scrollTop = list.scrollHeight;
}

// --- 未匹配说法 ----------------------------------------------------------------------------------

async function unmatchedView() {
  const data = await api("GET", "/api/v1/reports/unmatched?top=100");
  const rows = data.groups.map((g) => h("tr", {},
    h("td", {}, h("strong", {}, g.text)), h("td", {}, g.count),
    h("td", {}, g.examples.filter((e) => e !== g.text).slice(0, 3).join(" / ")),
    h("td", {}, Object.entries(g.reply_types).map(([t, n]) => h("span", {}, replyBadge(t), n))),
    h("td", {}, fmtTime(g.last_seen)),
    h("td", {}, h("a", { href: "#/conversations" + query({ q: g.text }) }, "查看会话"))));
  show(h("h1", {}, "未匹配说法"),
    h("p", { class: "muted" }, `最近 ${data.turns} 条未识别或需澄清的话语,按相似度归为 ${data.total_groups} 组,最常见的在前。`),
    h("div", { class: "card" }, h("table", { id: "unmatched-table" },
      h("thead", {}, h("tr", {}, ["说法", "次数", "相似说法", "回复类型", "最近出现", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 6, class: "empty" }, "暂无未匹配的说法"))))));
}

// --- 好差评与投诉建议 -----------------------------------------------------------------------------

function caseStatus(c) {
  if (c.status === "answered") return badge(c.answered_in_time ? "已办结" : "已办结(超期)", c.answered_in_time ? "green" : "amber");
  return c.overdue ? badge("已超期", "red") : badge(`待办 · 剩 ${c.working_days_left} 个工作日`, "amber");
}

async function casesView(params) {
  const kind = params.get("kind") || "";
  const status = params.get("status") || "open";
  const overdue = params.get("overdue") === "1";
  const data = await api("GET", "/api/v1/cases" + query({ kind, status, overdue: overdue ? "true" : "", limit: 100 }));
  const kindSelect = h("select", { id: "case-kind" }, h("option", { value: "" }, "全部类别"), Object.entries(CASE_KINDS).map(([k, v]) => h("option", { value: k, selected: k === kind }, v)));
  const statusSelect = h("select", { id: "case-status" }, [["open", "待办"], ["answered", "已办结"], ["", "全部"]].map(([k, v]) => h("option", { value: k, selected: k === status }, v)));
  const overdueBox = h("input", { type: "checkbox", checked: overdue });
  const apply = () => { location.hash = "#/cases" + query({ kind: kindSelect.value, status: statusSelect.value, overdue: overdueBox.checked ? "1" : "" }); };
  for (const el of [kindSelect, statusSelect, overdueBox]) el.addEventListener("change", apply);
  const rows = data.cases.map((c) => h("tr", { class: "clickable", "data-case": c.id, onclick: () => { location.hash = "#/case/" + c.id; } },
    h("td", {}, fmtTime(c.created_at)), h("td", {}, badge(CASE_KINDS[c.kind], c.kind === "rating_followup" || c.kind === "complaint" ? "red" : "blue")),
    h("td", { class: "text" }, c.rating ? `${c.rating.score}分 ${c.rating.tags.map((t) => t.text).join("、")} ${c.rating.comment}` : c.text),
    h("td", {}, c.due_on), h("td", {}, caseStatus(c))));
  show(h("h1", {}, "好差评与投诉建议"),
    h("div", { class: "card toolbar" }, kindSelect, statusSelect, h("label", {}, overdueBox, "只看超期"), h("span", { class: "grow" }), h("span", { class: "muted" }, `共 ${data.total} 件`)),
    h("div", { class: "card" }, h("table", { id: "case-table" }, h("thead", {}, h("tr", {}, ["提交时间", "类别", "内容", "办理期限", "状态"].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 5, class: "empty" }, "没有符合条件的件"))))));
}

async function caseView(id) {
  const { case: c } = await api("GET", "/api/v1/cases/" + encodeURIComponent(id));
  const details = [h("div", { class: "toolbar" }, badge(CASE_KINDS[c.kind], "red"), caseStatus(c), h("span", { class: "muted" }, `提交于 ${fmtTime(c.created_at)} · 办理期限 ${c.due_on}(${c.working_days} 个工作日)`))];
  if (c.rating) {
    details.push(h("h3", {}, "评价"), h("p", {}, badge(`${c.rating.score}分 · ${c.rating.level}`, "red"), " ", c.rating.tags.map((t) => badge(t.text, "amber"))),
      h("p", {}, c.rating.comment || h("span", { class: "muted" }, "(未填写意见)")));
  } else details.push(h("h3", {}, "内容"), h("p", {}, c.text));
  if (c.reference_kind) {
    details.push(h("p", {}, "关联:", c.reference_kind === "conversation" ? h("a", { href: "#/conversation/" + c.reference_id }, "查看会话") : `办件 ${c.reference_id}`));
  }
  const parts = [h("a", { class: "back", href: "#/cases" }, "← 返回列表"), h("h1", {}, "办理详情"), h("div", { class: "card" }, details)];
  if (c.status === "answered") {
    parts.push(h("div", { class: "card" }, h("h2", {}, "办理结果"), h("p", {}, badge(CASE_ACTIONS[c.action] || c.action, "green"), " ", fmtTime(c.answered_at)), h("p", {}, c.answer)));
  } else {
    const actions = c.actions;
    const action = h("select", { id: "case-action" }, actions.map((a) => h("option", { value: a }, CASE_ACTIONS[a])));
    const answer = h("textarea", { id: "case-answer", rows: 5, placeholder: c.kind === "rating_followup" ? "回访情况、核实结果与整改措施(群众可见)" : "答复内容(群众可见)" });
    const submit = h("button", { class: "primary", id: "case-submit", onclick: async () => {
      if (!answer.value.trim()) { toast("请填写答复内容", true); return; }
      try { await api("POST", `/api/v1/cases/${c.id}/answer`, { action: action.value, answer: answer.value }); toast("已办结,群众可查看答复"); route(); } catch (e) { toast(e.message, true); }
    } }, "提交答复");
    parts.push(h("div", { class: "card" }, h("h2", {}, "答复"), h("div", { class: "toolbar" }, "办理方式", action), h("p", {}, answer), submit));
  }
  show(...parts);
}

// --- 统计分析 (ECharts, vendored) ----------------------------------------------------------------

function loadCharts() {
  if (window.echarts) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = h("script", { src: "/console/vendor/echarts.min.js" });
    script.onload = resolve;
    script.onerror = () => reject(new Error("图表库加载失败"));
    document.head.append(script);
  });
}

function pct(x) { return x === null || x === undefined ? "—" : (x * 100).toFixed(1) + "%"; }

async function statsView() {
  const days = 14;
  const until = new Date();
  const since = new Date(until.getTime() - days * 86400000);
  const [data] = await Promise.all([api("GET", "/api/v1/statistics" + query({ since: since.toISOString(), until: until.toISOString() })), loadCharts()]);
  const kpi = (label, value) => h("div", { class: "kpi" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
  const first = data.first_reply_seconds;
  const charts = { daily: h("div", { class: "chart", id: "chart-daily" }), bundles: h("div", { class: "chart", id: "chart-bundles" }),
    rates: h("div", { class: "chart", id: "chart-rates" }), ratings: h("div", { class: "chart", id: "chart-ratings" }) };
  show(h("h1", {}, "统计分析"), h("p", { class: "muted" }, `最近 ${days} 天`),
    h("div", { class: "kpis", id: "kpis" },
      kpi("会话数", data.conversations), kpi("用户消息", data.turns), kpi("转人工率", pct(data.rates.handoff)),
      kpi("首次人工回复", first.median === null ? "—" : fmtWait(first.median) + "(中位)"),
      kpi("好差评均分", data.ratings.average === null ? "—" : data.ratings.average.toFixed(2)),
      kpi("差评按期办结", pct(data.bad_answered_in_time.share)),
      kpi("超期部门任务", data.overdue_tasks),
      kpi("未送达通知(待重试/失败)", `${data.undelivered_notifications} / ${data.failed_notifications}`)),
    h("div", { class: "grid2" }, h("div", { class: "card" }, h("h2", {}, "每日会话量"), charts.daily), h("div", { class: "card" }, h("h2", {}, "一件事分布"), charts.bundles),
      h("div", { class: "card" }, h("h2", {}, "未识别、澄清与转人工比例"), charts.rates), h("div", { class: "card" }, h("h2", {}, "好差评分布"), charts.ratings)));
  const make = (el, option) => { const chart = window.echarts.init(el); chart.setOption({ animation: false, textStyle: { fontFamily: "inherit" }, ...option }); };
  make(charts.daily, { tooltip: { trigger: "axis" }, legend: { data: ["会话", "消息"], top: 0, right: 0 }, grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.days.map((d) => d.date.slice(5)) }, yAxis: { type: "value", minInterval: 1 },
    series: [{ name: "会话", type: "line", data: data.days.map((d) => d.conversations) }, { name: "消息", type: "bar", data: data.days.map((d) => d.turns), itemStyle: { color: "#9dbbe6" } }] });
  const top = data.bundles.slice(0, 10).reverse();
  make(charts.bundles, { tooltip: {}, grid: { left: 150, right: 24, top: 10, bottom: 24 }, xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: top.map((b) => b.bundle ? bundleName(b.bundle) : "未识别"), axisLabel: { width: 140, overflow: "truncate" } },
    series: [{ type: "bar", data: top.map((b) => b.conversations), itemStyle: { color: "#1f5fbf" } }] });
  make(charts.rates, { tooltip: { valueFormatter: (v) => v + "%" }, grid: { left: 48, right: 16, top: 16, bottom: 28 }, xAxis: { type: "category", data: ["未识别", "需澄清", "转人工"] },
    yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
    series: [{ type: "bar", barWidth: "40%", data: [data.rates.fallback, data.rates.clarify, data.rates.handoff].map((r) => +(r * 100).toFixed(1)), itemStyle: { color: (p) => ["#c8323c", "#e0a030", "#1f5fbf"][p.dataIndex] } }] });
  const levels = ["非常不满意", "不满意", "基本满意", "满意", "非常满意"];
  make(charts.ratings, { tooltip: {}, grid: { left: 40, right: 16, top: 16, bottom: 28 }, xAxis: { type: "category", data: levels }, yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", barWidth: "40%", data: [1, 2, 3, 4, 5].map((s) => data.ratings.distribution[String(s)] || 0), itemStyle: { color: (p) => (p.dataIndex < 2 ? "#c8323c" : "#1e7f4f") } }] });
}

// --- start --------------------------------------------------------------------------------------

document.getElementById("login-form").addEventListener("submit", login);
document.getElementById("logout").addEventListener("click", logout);
window.addEventListener("hashchange", route);
start();
