import Hummingbird
import HummingbirdCore
import NIOCore

/// The fire station's status page (`GET /`): one HTML document with its CSS, script and
/// SVG inline, nothing loaded from elsewhere. It reads the JSON API with the page's own
/// credentials and polls it every second, so it updates without a reload. docs/operations.md.
public enum StatusPage {
    /// How often the page polls the live views, and the slower ones (chart, reports).
    public static let pollMilliseconds = 1000
    public static let slowPollMilliseconds = 15000

    static func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        // Everything is inline; nothing may be loaded from anywhere else, nor the page framed.
        headers[.init("Content-Security-Policy")!] =
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    public static let html = #"""
<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>RentGuard 微型消防站 · Fire station</title>
<style>
:root{--fire:#c62828;--critical:#c62828;--major:#ef6c00;--minor:#f9a825;--warning:#fdd835;--ok:#2e7d32;--none:#9e9e9e;--bg:#f4f5f7;--card:#fff;--line:#d9dce1}
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;background:var(--bg);color:#15181c;font-size:15px}
header{background:#1d2733;color:#fff;padding:10px 14px;display:flex;flex-wrap:wrap;gap:6px 16px;align-items:center}
header h1{font-size:18px;margin:0;flex:1 1 auto}
header .pill{padding:2px 9px;border-radius:10px;font-size:13px;background:#3b4654}
header .pill.ok{background:var(--ok)}header .pill.bad{background:var(--critical)}
header button{background:#3b4654;color:#fff;border:1px solid #66717f;border-radius:6px;padding:4px 10px;font-size:13px}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:12px;padding:12px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px;min-width:0}
section h2{font-size:16px;margin:0 0 8px}
.wide{grid-column:1/-1}
.floors{display:flex;flex-direction:column;gap:6px}
.floor{display:flex;gap:6px;align-items:stretch}
.floor .label{width:52px;flex:none;font-size:13px;color:#555;display:flex;align-items:center}
.units{display:flex;flex-wrap:wrap;gap:6px;flex:1}
.unit{min-width:74px;padding:8px 6px;border-radius:6px;color:#fff;text-align:center;background:var(--ok);font-weight:600;line-height:1.25}
.unit small{display:block;font-weight:400;font-size:11px;opacity:.95}
.unit.lvl-fire,.unit.lvl-critical{background:var(--critical);animation:pulse 1s infinite alternate}
.unit.lvl-major{background:var(--major)}.unit.lvl-minor{background:var(--minor);color:#222}.unit.lvl-warning{background:var(--warning);color:#222}
.unit.lvl-unknown{background:var(--none)}
@keyframes pulse{from{filter:brightness(1)}to{filter:brightness(1.25)}}
.legend{display:flex;flex-wrap:wrap;gap:8px;font-size:12px;margin-top:8px}
.legend span::before{content:"";display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;background:var(--c)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:5px 6px;text-align:left;vertical-align:top}
th{font-weight:600;color:#444;font-size:13px}
td.n{text-align:right}
.sev{display:inline-block;padding:1px 7px;border-radius:9px;color:#fff;font-size:12px;background:var(--none)}
.sev.critical{background:var(--critical)}.sev.major{background:var(--major)}.sev.minor{background:var(--minor);color:#222}.sev.warning{background:var(--warning);color:#222}
.empty{color:#666;font-style:italic}
button.ack{background:var(--critical);color:#fff;border:0;border-radius:6px;padding:6px 12px;font-size:14px}
form.ackform{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}
form.ackform input{flex:1 1 120px;padding:6px;font-size:14px;border:1px solid #aaa;border-radius:5px}
form.ackform button{padding:6px 12px;border-radius:6px;border:1px solid #888;background:#fff;font-size:14px}
form.ackform button[type=submit]{background:#1d2733;color:#fff}
.bad{color:var(--critical);font-weight:600}.warn{color:#a15c00;font-weight:600}.good{color:var(--ok)}
.chart{display:flex;flex-wrap:wrap;gap:10px}
.chart figure{margin:0;flex:1 1 300px;min-width:0}
.chart figcaption{font-size:13px;margin-bottom:2px}
.chart svg{width:100%;height:auto;background:#fafbfc;border:1px solid var(--line);border-radius:4px}
#ackpanel{display:none;position:fixed;left:0;right:0;bottom:0;z-index:5;background:#fff;border-top:3px solid var(--critical);padding:10px 14px 14px;box-shadow:0 -4px 16px rgba(0,0,0,.2)}
#ackpanel.show ~ main{padding-bottom:150px}
tr.incident{cursor:pointer}tr.timeline td{background:#fafbfc;font-size:13px}tr.timeline div{padding:2px 0}
#ackpanel.show{display:block}#ackpanel h2{font-size:16px;margin:0 0 4px}#ackpanel .note{font-size:12px;color:#666}
#banner{display:none;background:var(--critical);color:#fff;padding:6px 14px;font-weight:600}
#banner.show{display:block}
footer{font-size:12px;color:#666;padding:0 14px 14px}
a{color:#0b57d0}
.sev{white-space:nowrap}
@media (max-width:600px){
  #alarms tr:first-child{display:none}
  #alarms tr{display:flex;flex-wrap:wrap;align-items:center;gap:4px 10px;border-bottom:1px solid var(--line);padding:7px 0}
  #alarms td{border:0;padding:0}
  #alarms td:last-child{flex-basis:100%}
  #alarms button.ack{width:100%;padding:9px;font-size:16px}
}
@media (max-width:480px){main{grid-template-columns:1fr;padding:8px;gap:8px}header h1{font-size:16px}.unit{min-width:64px}}
</style>
</head>
<body>
<header>
  <h1 id="title">RentGuard</h1>
  <span id="ready" class="pill">…</span>
  <span id="clock" class="pill">…</span>
  <button id="lang" type="button">EN</button>
</header>
<div id="banner" role="alert"></div>
<div id="ackpanel" role="dialog" aria-modal="false"></div>
<main>
  <section class="wide" id="building-section"><h2 data-t="building">楼栋</h2><div id="floors" class="floors"></div><div id="legend" class="legend"></div></section>
  <section class="wide" id="alarms-section"><h2><span data-t="alarms">当前告警</span> <span id="alarm-count"></span></h2><div class="scroll"><table id="alarms"></table></div></section>
  <section id="devices-section"><h2><span data-t="devices">设备状态</span> <span id="device-count"></span></h2><div class="scroll"><table id="devices"></table></div></section>
  <section id="outbox-section"><h2 data-t="outbox">上报队列与登记平台</h2><div class="scroll"><table id="brokers"></table><table id="outbox"></table></div></section>
  <section class="wide" id="occupancy-section"><h2 data-t="occupancy">居住人数估计</h2><div class="scroll"><table id="occupancy"></table></div><div id="charts" class="chart"></div></section>
  <section class="wide" id="reports-section"><h2 data-t="reports">台账报告</h2><div class="scroll"><table id="reports"></table></div></section>
</main>
<footer><span data-t="updated">更新于</span> <span id="updated">—</span></footer>
<script>
"use strict";
const POLL_MS = 1000, SLOW_MS = 15000;
const L = {
  zh: {building:"楼栋", alarms:"当前告警", devices:"设备状态", outbox:"上报队列与登记平台", occupancy:"居住人数估计", reports:"台账报告",
    updated:"更新于", ready:"正常", notReady:"异常", floor:"层", other:"其他", noAlarms:"无告警", severity:"级别", type:"类型",
    unit:"房间", device:"设备", since:"发生时间", state:"状态", action:"处置", ack:"确认", by:"确认人", note:"备注",
    submit:"提交", cancel:"取消", acking:"已提交", kind:"种类", health:"状况", lastSeen:"最后通信", battery:"电量",
    offline:"离线", online:"在线", tamper:"防拆", neverSeen:"从未上线", allOk:"全部正常", destination:"目的地", pending:"待发",
    dead:"失败", delivered:"已送达", oldest:"最早待发", lastDelivered:"最近送达", broker:"连接", connected:"已连接",
    disconnected:"未连接", estimate:"估计", bounds:"区间", registered:"登记", groupRental:"群租嫌疑", yes:"是", no:"否",
    period:"周期", created:"生成", files:"文件", noReports:"尚无报告", noEstimates:"尚无估计", lost:"与网关的连接中断",
    ackFailed:"确认失败", needBy:"请填写确认人", chartNote:"实线：估计；阴影：区间；虚线：登记人数",
    incidents:"起事件", alarmsN:"条告警", detectors:"设备",
    raised:"新告警", escalated:"已升级", acknowledged:"已确认", cleared:"已解除", active:"当前告警", units:"房间",
    sev:{critical:"紧急", major:"严重", minor:"一般", warning:"提示"},
    types:{fire:"火灾", smoke:"烟雾", heat:"高温", co:"一氧化碳", charger_overcurrent:"充电过流", charger_overheat:"充电过热",
      charger_thermal_runaway:"电池热失控", charger_overtime:"充电超时", charger_no_cutoff:"充满未断电", station_overload:"充电站过载",
      overload:"用电过载", leakage:"漏电", indoor_ebike_charging:"室内充电", abnormal_consumption:"异常用量", device_offline:"设备离线",
      device_fault:"设备故障", tamper:"防拆报警", battery_low:"电量低", group_rental_suspected:"疑似群租",
      unregistered_device:"未登记设备", gateway_fault:"网关故障"},
    kinds:{smoke_detector:"烟感", charger:"充电桩", power_meter:"电表", water_meter:"水表", gas_meter:"燃气表"}},
  en: {building:"Building", alarms:"Active alarms", devices:"Device health", outbox:"Outbox and registry link", occupancy:"Occupancy estimates", reports:"Ledger reports",
    updated:"Updated", ready:"Ready", notReady:"Not ready", floor:"F", other:"Other", noAlarms:"No active alarms", severity:"Severity", type:"Type",
    unit:"Unit", device:"Device", since:"Since", state:"State", action:"Action", ack:"Acknowledge", by:"By", note:"Note",
    submit:"Submit", cancel:"Cancel", acking:"Submitted", kind:"Kind", health:"Health", lastSeen:"Last seen", battery:"Battery",
    offline:"Offline", online:"Online", tamper:"Tamper", neverSeen:"Never seen", allOk:"All devices healthy", destination:"Destination", pending:"Pending",
    dead:"Dead", delivered:"Delivered", oldest:"Oldest pending", lastDelivered:"Last delivered", broker:"Link", connected:"connected",
    disconnected:"disconnected", estimate:"Estimate", bounds:"Bounds", registered:"Registered", groupRental:"Group rental", yes:"yes", no:"no",
    period:"Period", created:"Written", files:"Files", noReports:"No reports yet", noEstimates:"No estimates yet", lost:"Connection to the gateway lost",
    ackFailed:"Acknowledgement failed", needBy:"Who acknowledges?", chartNote:"line: estimate; band: bounds; dashed: registered",
    incidents:"incidents", alarmsN:"alarms", detectors:"Devices",
    raised:"raised", escalated:"escalated", acknowledged:"acknowledged", cleared:"cleared", active:"active", units:"units",
    sev:{critical:"critical", major:"major", minor:"minor", warning:"warning"},
    types:{}, kinds:{}}
};
let lang = (new URLSearchParams(location.search).get("lang") || localStorage.getItem("rg.lang") || "zh") === "en" ? "en" : "zh";
const t = k => L[lang][k] ?? L.en[k] ?? k;
const typeName = ty => (lang === "zh" && L.zh.types[ty]) ? L.zh.types[ty] + " " + ty : ty;
const kindName = k => (lang === "zh" && L.zh.kinds[k]) ? L.zh.kinds[k] : k;
const SEV_RANK = {warning:0, minor:1, major:2, critical:3};
const state = {status:null, alarms:[], devices:[], units:[], outbox:[], history:{}, reports:[], acked:{}, open:{}};

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of kids.flat(Infinity)) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}
function svg(tag, attrs) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}
function fmtTime(ms) {
  if (ms === null || ms === undefined) return "—";
  const d = new Date(ms), p = n => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
function fmtAge(ms, now) {
  if (ms === null || ms === undefined) return "—";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return s + " s"; if (s < 3600) return Math.floor(s / 60) + " min"; if (s < 172800) return Math.floor(s / 3600) + " h";
  return Math.floor(s / 86400) + " d";
}
const num = x => (x === null || x === undefined) ? "—" : (Math.round(x * 10) / 10).toString();
function replace(id, ...kids) { const e = document.getElementById(id); e.replaceChildren(...kids.flat(Infinity)); return e; }

async function getJSON(path) {
  const r = await fetch(path, {cache: "no-store", credentials: "same-origin", headers: {"Accept": "application/json"}});
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}
function banner(text) { const b = document.getElementById("banner"); b.textContent = text || ""; b.classList.toggle("show", !!text); }

function unitLevels() {
  const lv = {};
  const devUnit = {};
  for (const d of state.devices) if (d.unit) devUnit[d.device] = d.unit;
  for (const a of state.alarms) {
    const u = a.unit || devUnit[a.device];
    if (!u) continue;
    const level = a.type === "fire" ? "fire" : a.severity;
    const rank = level === "fire" ? 4 : (SEV_RANK[level] ?? -1);
    if (!lv[u] || rank > lv[u].rank) lv[u] = {level, rank, type: a.type};
  }
  return lv;
}

function renderBuilding() {
  const lv = unitLevels();
  const floors = new Map();
  for (const u of state.units) {
    const f = (u.floor === null || u.floor === undefined) ? null : u.floor;
    if (!floors.has(f)) floors.set(f, []);
    floors.get(f).push(u);
  }
  const keys = [...floors.keys()].sort((a, b) => (b ?? -1e9) - (a ?? -1e9));
  const rows = keys.map(f => el("div", {class: "floor", "data-floor": f ?? "other"},
    el("div", {class: "label"}, f === null ? t("other") : (lang === "zh" ? f + t("floor") : t("floor") + f)),
    el("div", {class: "units"}, floors.get(f).map(u => {
      const l = lv[u.unit];
      const level = l ? l.level : "ok";
      return el("div", {class: "unit lvl-" + level, id: "unit-" + u.unit, "data-unit": u.unit, "data-level": level,
        title: l ? typeName(l.type) : t("allOk")}, u.unit, el("small", {}, l ? typeName(l.type).split(" ")[0] : "✓"));
    }))));
  replace("floors", rows.length ? rows : [el("p", {class: "empty", text: "—"})]);
  replace("legend", ["fire", "major", "minor", "warning"].map(k => el("span", {style: `--c:var(--${k})`},
    k === "fire" ? (lang === "zh" ? "火灾/紧急" : "fire/critical") : t("sev")[k] || k)),
    el("span", {style: "--c:var(--ok)"}, lang === "zh" ? "正常" : "normal"));
}

// One row per incident (issue 25): the alarms one event caused in one place share an
// `incident_id`; the row shows the worst severity, the first alarm, how many detectors, and
// opens to the members' list on a click. An alarm without one is an incident of its own.
function incidentsOf(alarms) {
  const by = new Map();
  for (const a of alarms) {
    const id = a.incident_id || ("inc:" + a.alarm_id);
    if (!by.has(id)) by.set(id, []);
    by.get(id).push(a);
  }
  const out = [];
  for (const [id, members] of by) {
    members.sort((x, y) => x.started_at - y.started_at || (x.alarm_id < y.alarm_id ? -1 : 1));
    const worst = members.reduce((w, a) => (SEV_RANK[a.severity] ?? -1) > (SEV_RANK[w] ?? -1) ? a.severity : w, members[0].severity);
    const open = members.filter(a => a.state !== "cleared");
    const state = open.length && open.every(a => a.state === "acknowledged") ? "acknowledged" : (members.some(a => a.state === "escalated") ? "escalated" : "raised");
    out.push({id, members, first: members[0], worst, state, types: [...new Set(members.map(a => a.type))],
      devices: [...new Set(members.map(a => a.device).filter(Boolean))]});
  }
  out.sort((x, y) => (SEV_RANK[y.worst] ?? -1) - (SEV_RANK[x.worst] ?? -1) || y.first.started_at - x.first.started_at);
  return out;
}

function renderAlarms() {
  const n = state.alarms.length;
  const total = state.activeTotal ?? n;
  const incidents = incidentsOf(state.alarms);
  document.getElementById("alarm-count").textContent = total
    ? `(${incidents.length} ${t("incidents")} · ${total > n ? n + "/" + total : n} ${t("alarmsN")})` : "";
  const head = el("tr", {}, [t("severity"), t("type"), t("unit"), t("detectors"), t("since"), t("state"), t("action")].map(h => el("th", {text: h})));
  if (!n) { replace("alarms", head, el("tr", {}, el("td", {colspan: 7, class: "empty", text: t("noAlarms")}))); return; }
  const rows = [head];
  for (const inc of incidents) {
    const a = inc.first;
    const ackable = inc.members.some(m => m.state === "raised" || m.state === "escalated") && !state.acked[inc.id];
    const ackInfo = inc.members.map(m => m.evidence && m.evidence.acknowledgement).find(Boolean);
    const stateCell = el("td", {}, t(inc.state) || inc.state, ackInfo ? el("div", {class: "note"}, `${ackInfo.by}${ackInfo.note ? ": " + ackInfo.note : ""}`) : null,
      state.acked[inc.id] && inc.state !== "acknowledged" ? el("div", {text: t("acking") + "…"}) : null);
    const action = el("td", {});
    if (ackable) action.append(el("button", {class: "ack", type: "button", "data-ack-incident": inc.id,
      onclick: ev => { ev.stopPropagation(); openAck({kind: "incidents", id: inc.id, title: `${typeName(a.type)} · ${a.unit || a.location || a.device || ""}`}); }}, t("ack")));
    const others = inc.types.filter(x => x !== a.type).map(typeName);
    const opened = !!state.open[inc.id];
    rows.push(el("tr", {class: "incident", "data-incident": inc.id, "data-state": inc.state, "data-type": a.type, "data-alarms": inc.members.length,
        "aria-expanded": opened ? "true" : "false", onclick: () => { state.open[inc.id] = !state.open[inc.id]; renderAlarms(); }},
      el("td", {}, el("span", {class: "sev " + inc.worst, text: t("sev")[inc.worst] || inc.worst})),
      el("td", {}, typeName(a.type), others.length ? el("div", {class: "note", text: "+ " + others.join(", ")}) : null),
      el("td", {text: a.unit || a.location || "—"}),
      el("td", {text: `${inc.devices.length} · ${inc.members.length} ${t("alarmsN")}`}),
      el("td", {text: fmtTime(a.started_at)}), stateCell, action));
    if (opened) {
      rows.push(el("tr", {class: "timeline", "data-timeline-for": inc.id}, el("td", {colspan: 7},
        inc.members.map(m => el("div", {"data-alarm": m.alarm_id, "data-state": m.state},
          `${fmtTime(m.started_at)} · ${typeName(m.type)} · ${m.device || "—"}${m.port !== null && m.port !== undefined ? " #" + m.port : ""}${m.location ? " (" + m.location + ")" : ""} · `,
          el("span", {class: "sev " + m.severity, text: t("sev")[m.severity] || m.severity}), ` · ${t(m.state) || m.state}`)))));
    }
  }
  const table = document.getElementById("alarms");
  table.replaceChildren(...rows);
}

// The acknowledgement form: a panel of its own, never rebuilt by the refreshes, so that
// what the operator types stays as it is while the page updates. `target` is an incident
// (every active member is acknowledged) or an alarm.
function openAck(target) {
  const panel = document.getElementById("ackpanel");
  const by = el("input", {name: "by", id: "ack-by", maxlength: 64, placeholder: t("by"), value: localStorage.getItem("rg.by") || "", autocomplete: "name"});
  const note = el("input", {name: "note", id: "ack-note", maxlength: 500, placeholder: t("note")});
  const msg = el("span", {class: "bad", id: "ack-msg"});
  const close = () => { panel.replaceChildren(); panel.classList.remove("show"); };
  const form = el("form", {class: "ackform", "data-target": target.id, onsubmit: async ev => {
    ev.preventDefault();
    const who = by.value.trim();
    if (!who) { msg.textContent = t("needBy"); return; }
    localStorage.setItem("rg.by", who);
    form.querySelectorAll("button,input").forEach(x => x.disabled = true);
    try {
      const r = await fetch(`api/v1/${target.kind}/` + encodeURIComponent(target.id) + "/ack", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify({by: who, note: note.value.trim() || null})});
      if (r.status === 202) { state.acked[target.id] = true; close(); renderAlarms(); poll(); return; }
      const body = await r.json().catch(() => ({}));
      msg.textContent = t("ackFailed") + ": " + (body.error || r.status);
    } catch (e) { msg.textContent = t("ackFailed") + ": " + e.message; }
    form.querySelectorAll("button,input").forEach(x => x.disabled = false);
  }}, by, note, el("button", {type: "submit", id: "ack-submit", text: t("submit")}),
    el("button", {type: "button", text: t("cancel"), onclick: close}), msg);
  panel.replaceChildren(el("h2", {}, `${t("ack")}: ${target.title}`), el("div", {class: "note", text: target.id}), form);
  panel.classList.add("show");
  (by.value ? note : by).focus();
}

function renderDevices() {
  const now = state.status ? state.status.now : Date.now();
  const tampered = new Set(state.alarms.filter(a => a.type === "tamper").map(a => a.device));
  const faults = new Set(state.alarms.filter(a => a.type === "device_fault").map(a => a.device));
  const issues = [];
  for (const d of state.devices) {
    const p = [];
    const battery = d.last_values ? d.last_values.battery_pct : undefined;
    if (d.offline) p.push(d.last_seen === null || d.last_seen === undefined ? t("neverSeen") : t("offline"));
    if (battery !== undefined && battery < 20) p.push(t("battery") + " " + Math.round(battery) + "%");
    if (tampered.has(d.device)) p.push(t("tamper"));
    if (faults.has(d.device)) p.push(typeName("device_fault"));
    issues.push({d, p, battery});
  }
  issues.sort((a, b) => (b.p.length > 0) - (a.p.length > 0) || a.d.device.localeCompare(b.d.device));
  const bad = issues.filter(x => x.p.length).length;
  document.getElementById("device-count").textContent = `(${state.devices.length - bad}/${state.devices.length} ${t("online")})`;
  const head = el("tr", {}, [t("device"), t("kind"), t("unit"), t("health"), t("battery"), t("lastSeen")].map(h => el("th", {text: h})));
  replace("devices", head, issues.map(({d, p, battery}) => el("tr", {"data-device": d.device, "data-health": p.length ? "bad" : "ok"},
    el("td", {text: d.device}), el("td", {text: kindName(d.kind)}), el("td", {text: d.unit || "—"}),
    el("td", {class: p.length ? "bad" : "good", text: p.length ? p.join(", ") : t("online")}),
    el("td", {class: "n", text: battery === undefined ? "—" : Math.round(battery) + "%"}), el("td", {text: fmtAge(d.last_seen, now)}))));
}

function renderOutbox() {
  const s = state.status, now = s ? s.now : Date.now();
  replace("brokers", el("tr", {}, el("th", {text: t("broker")}), el("th", {text: "URL"}), el("th", {text: t("state")})),
    (s ? s.brokers : []).map(b => el("tr", {"data-broker": b.name}, el("td", {text: b.name}), el("td", {text: b.url}),
      el("td", {class: b.connected ? "good" : "bad", text: b.connected ? t("connected") : t("disconnected")}))));
  replace("outbox", el("tr", {}, [t("destination"), t("pending"), t("dead"), t("delivered"), t("oldest"), t("lastDelivered")].map(h => el("th", {text: h}))),
    state.outbox.map(o => el("tr", {"data-destination": o.destination}, el("td", {text: o.destination}),
      el("td", {class: "n" + (o.pending ? " warn" : ""), text: o.pending}), el("td", {class: "n" + (o.dead ? " bad" : ""), text: o.dead}),
      el("td", {class: "n", text: o.delivered}), el("td", {text: fmtAge(o.oldest_pending_at, now)}), el("td", {text: fmtAge(o.last_delivered_at, now)}))));
}

function renderOccupancy() {
  const head = el("tr", {}, [t("unit"), t("estimate"), t("bounds"), t("registered"), t("groupRental")].map(h => el("th", {text: h})));
  replace("occupancy", head, state.units.map(u => el("tr", {"data-unit": u.unit},
    el("td", {text: u.unit}), el("td", {class: "n", text: num(u.estimated_occupants)}),
    el("td", {text: u.low === null || u.low === undefined ? "—" : `${num(u.low)} – ${num(u.high)}`}),
    el("td", {class: "n", text: u.registered_occupants}),
    el("td", {class: u.group_rental_suspected ? "bad" : "", text: u.group_rental_suspected ? t("yes") : t("no")}))));
  const figs = [];
  for (const u of state.units) {
    const pts = state.history[u.unit] || [];
    figs.push(el("figure", {"data-chart": u.unit}, el("figcaption", {}, `${t("unit")} ${u.unit} · ${t("registered")} ${u.registered_occupants}`), chart(pts, u.registered_occupants)));
  }
  replace("charts", figs.length ? figs : [el("p", {class: "empty", text: t("noEstimates")})], el("p", {class: "empty", text: t("chartNote")}));
}

function chart(pts, registered) {
  const W = 320, H = 110, l = 26, r = 6, top = 6, b = 18;
  const s = svg("svg", {viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "occupancy"});
  if (!pts.length) {
    const tx = svg("text", {x: W / 2, y: H / 2, "text-anchor": "middle", "font-size": 11, fill: "#777"}); tx.textContent = t("noEstimates"); s.append(tx); return s;
  }
  const x0 = pts[0].period_end, x1 = Math.max(pts[pts.length - 1].period_end, x0 + 1);
  const ymax = Math.max(1, registered, ...pts.map(p => p.high)) * 1.1;
  const X = v => l + (W - l - r) * (pts.length === 1 ? 0.5 : (v - x0) / (x1 - x0));
  const Y = v => top + (H - top - b) * (1 - v / ymax);
  for (let i = 0; i <= 2; i++) {
    const v = ymax / 1.1 * i / 2, y = Y(v);
    s.append(svg("line", {x1: l, x2: W - r, y1: y, y2: y, stroke: "#e3e5e8"}));
    const tx = svg("text", {x: l - 3, y: y + 3, "text-anchor": "end", "font-size": 9, fill: "#555"}); tx.textContent = num(v); s.append(tx);
  }
  const band = pts.map(p => `${X(p.period_end)},${Y(p.high)}`).concat(pts.slice().reverse().map(p => `${X(p.period_end)},${Y(p.low)}`));
  s.append(svg("polygon", {points: band.join(" "), fill: "rgba(11,87,208,.18)", stroke: "none"}));
  s.append(svg("line", {x1: l, x2: W - r, y1: Y(registered), y2: Y(registered), stroke: "#555", "stroke-dasharray": "4 3"}));
  s.append(svg("polyline", {points: pts.map(p => `${X(p.period_end)},${Y(p.estimated)}`).join(" "), fill: "none", stroke: "#0b57d0", "stroke-width": 2}));
  for (const p of pts) s.append(svg("circle", {cx: X(p.period_end), cy: Y(p.estimated), r: 2.2, fill: p.group_rental_suspected ? "#c62828" : "#0b57d0"}));
  const d0 = svg("text", {x: l, y: H - 4, "font-size": 9, fill: "#555"}); d0.textContent = fmtTime(pts[0].period_end).slice(5, 10); s.append(d0);
  const d1 = svg("text", {x: W - r, y: H - 4, "font-size": 9, fill: "#555", "text-anchor": "end"}); d1.textContent = fmtTime(pts[pts.length - 1].period_end).slice(5, 10); s.append(d1);
  return s;
}

function renderReports() {
  const head = el("tr", {}, [t("period"), t("created"), t("files")].map(h => el("th", {text: h})));
  if (!state.reports.length) { replace("reports", head, el("tr", {}, el("td", {colspan: 3, class: "empty", text: t("noReports")}))); return; }
  replace("reports", head, state.reports.map(r => el("tr", {"data-report": r.period}, el("td", {text: r.period.replace("_", " – ")}),
    el("td", {text: fmtTime(r.created_at)}),
    el("td", {}, r.files.map((f, i) => [i ? " · " : "", el("a", {href: "api/v1/reports/" + encodeURIComponent(f), target: "_blank", rel: "noopener", text: f.split(".").pop().toUpperCase()})])))));
}

function renderHeader() {
  const s = state.status;
  if (!s) return;
  document.getElementById("title").textContent = `RentGuard · ${s.building} · ${s.gateway}`;
  const ready = document.getElementById("ready");
  ready.textContent = s.ready ? t("ready") : t("notReady");
  ready.className = "pill " + (s.ready ? "ok" : "bad");
  ready.title = (s.problems || []).join("; ");
  const active = state.activeTotal ?? s.active_alarms;
  document.getElementById("clock").textContent = `${active} ${t("active")} · ${s.devices_online}/${s.devices_registered} ${t("online")}`;
}

// Each section is rebuilt only when what it shows has changed, so that a button is never
// replaced under the operator's finger (the device and outbox ages change every second).
const shown = {};
function renderIfChanged(name, data, render) {
  const sig = JSON.stringify([lang, data]);
  if (shown[name] === sig) return;
  shown[name] = sig;
  render();
}
function renderAll() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.getElementById("lang").textContent = lang === "zh" ? "EN" : "中文";
  document.querySelectorAll("[data-t]").forEach(e => e.textContent = t(e.dataset.t));
  renderHeader();
  const devUnits = state.devices.map(d => [d.device, d.unit]);
  renderIfChanged("building", [state.units, state.alarms.map(a => [a.unit, a.device, a.type, a.severity]), devUnits], renderBuilding);
  renderIfChanged("alarms", [state.alarms, state.acked, state.open], renderAlarms);
  renderDevices(); renderOutbox();
  renderIfChanged("occupancy", [state.units, state.history], renderOccupancy);
  renderIfChanged("reports", state.reports, renderReports);
}

let polling = false, lastSlow = 0;
async function poll() {
  if (polling) return;
  polling = true;
  try {
    const [status, alarms, devices, occ, outbox] = await Promise.all([getJSON("api/v1/status"), getJSON("api/v1/alarms?active=true&limit=500"),
      getJSON("api/v1/devices"), getJSON("api/v1/occupancy"), getJSON("api/v1/outbox")]);
    Object.assign(state, {status, alarms: alarms.alarms, activeTotal: alarms.active_total, devices: devices.devices, units: occ.units, outbox: outbox.destinations});
    const incidentOf = a => a.incident_id || ("inc:" + a.alarm_id);
    for (const id of Object.keys(state.acked)) if (!state.alarms.some(a => incidentOf(a) === id && a.state !== "acknowledged")) delete state.acked[id];
    if (Date.now() - lastSlow > SLOW_MS) {
      lastSlow = Date.now();
      const [hist, reps] = await Promise.all([getJSON("api/v1/occupancy/history?days=30").catch(() => ({units: {}})),
        getJSON("api/v1/reports").catch(() => ({reports: []}))]);
      state.history = hist.units || {}; state.reports = reps.reports || [];
    }
    banner("");
    renderAll();
    document.getElementById("updated").textContent = fmtTime(Date.now());
    document.body.dataset.loaded = "true";
  } catch (e) {
    banner(t("lost") + " (" + e.message + ")");
  } finally {
    polling = false;
  }
}
document.getElementById("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("rg.lang", lang); renderAll(); });
poll();
setInterval(poll, POLL_MS);
</script>
</body>
</html>
"""#
}
