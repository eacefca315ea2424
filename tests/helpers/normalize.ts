/**
 * A normalised trace for snapshot files: one line per event with the fields a reader needs to
 * follow the story — step, virtual time, host, layer, kernel function, kind, story step, the
 * packet (chain) — and the key payload of each kind: which tags and flags a decision consulted
 * and whether they were stale, the branch it took, tag names with their numbers and uids, what
 * crossed a link (summarised), drop reasons. Notes are left out (prose changes too often to
 * diff); packet version ids too (a change in version sharing would touch every later line).
 */
import { fromHex, summarize, type Consulted, type ScenarioTrace, type TagView, type TraceEvent } from "../../src/engine";

function spi(n: number): string {
  return `0x${n.toString(16)}`;
}

/** IPSEC_OUT_DONE(18)#1{127.0.0.1 esp 0x1000} */
export function tagText(t: TagView | null | undefined): string {
  if (!t) return "none";
  const copy = t.copyOf === undefined ? "" : ` copyOf#${t.copyOf}`;
  const tdbi = t.tdbi ? `{${t.tdbi.dst} ${t.tdbi.proto} ${spi(t.tdbi.spi)}}` : "";
  return `${t.name}(${t.id}${t.persistent ? " persistent" : ""})#${t.uid}${tdbi}${copy}`;
}

function tagList(tags: readonly TagView[]): string {
  return `[${tags.map(tagText).join(", ")}]`;
}

function flagList(flags: readonly string[]): string {
  return flags.length === 0 ? "(none)" : flags.map((f) => `M_${f}`).join("|");
}

function consultedText(c: Consulted): string {
  switch (c.kind) {
    case "tag":
      return c.tag ? `${tagText(c.tag)}${c.stale ? " STALE" : ""}` : `${c.name}: none`;
    case "flag":
      return `M_${c.flag}=${c.set ? 1 : 0}${c.stale ? " STALE" : ""}`;
    case "sp":
      return `sp "${c.id}"`;
    case "sa":
      return `sa "${c.id}"`;
    case "field":
      return `${c.header}.${c.field}=${c.value}`;
    case "route":
      return `route ${c.summary}`;
    case "switch":
      return `${c.name}=${c.value}`;
  }
}

/** The payload of an event, in a few words. */
export function payloadText(trace: ScenarioTrace, e: TraceEvent): string {
  switch (e.kind) {
    case "app.send":
      return `${e.socket}: ${e.summary}`;
    case "mbuf.alloc":
      return `len ${e.len}, leading ${e.leading}`;
    case "mbuf.prepend":
      return `${e.header} +${e.len} (${e.leading})`;
    case "mbuf.makespace":
      return `${e.header} +${e.len} at ${e.offset} (${e.how})`;
    case "mbuf.append":
      return `${e.what} +${e.len} (${e.how})`;
    case "mbuf.adj":
      return `${e.header} -${e.len} from ${e.from}`;
    case "mbuf.strip":
      return `${e.header} -${e.len} at ${e.offset}`;
    case "mbuf.rewrite":
      return `${e.what} [${e.offset}, +${e.len})`;
    case "mbuf.pkthdr":
      return `${e.mode} from #${e.from}`;
    case "mbuf.free":
      return e.reason;
    case "field.set":
      return `${e.header}.${e.field} ${e.from} → ${e.to}`;
    case "tag.get":
    case "tag.prepend":
    case "tag.unlink":
    case "tag.delete":
      return tagText(e.tag);
    case "tag.find":
      return `${e.name} → ${tagText(e.found)}`;
    case "tag.deleteChain":
      return `deleted ${tagList(e.deleted)}`;
    case "tag.deleteNonpersistent":
      // What the packet kept, from its version after the step (the event's own `kept` list is
      // aliased to the live tag list by an engine bug; see tests/engine/mbuf/tag.test.ts).
      return `deleted ${tagList(e.deleted)}, kept ${tagList(trace.packets.at(e.packet)?.tags ?? [])}`;
    case "tag.copy":
    case "tag.retype":
      return `${tagText(e.from)} → ${tagText(e.to)}`;
    case "tag.copyChain":
      return e.copies.map(([from, to]) => `${tagText(from)} → #${to.uid}`).join(", ");
    case "flag.set":
    case "flag.clear":
      return flagList(e.flags);
    case "decision":
      return `${e.check} → ${e.branch}${e.consulted.length ? ` | ${e.consulted.map(consultedText).join("; ")}` : ""}`;
    case "crypto.submit":
      return `${e.op} ${e.bytes} bytes, sa "${e.sa}"`;
    case "crypto.done":
      return `${e.op} ${e.ok ? "ok" : "FAILED"}: ${e.detail}`;
    case "queue.enqueue":
    case "queue.dequeue":
      return `${e.queue} depth ${e.depth}`;
    case "link.tx":
    case "link.rx": {
      const p = trace.packets.at(e.packet);
      const what = p ? summarize(fromHex(p.hex)) : "?";
      const carried = p && (p.tags.length || p.flags.length) ? ` {tags ${tagList(p.tags)}, flags ${flagList(p.flags)}}` : "";
      return `${e.ifname} on ${e.link}, ${e.bytes} bytes: ${what}${carried}`;
    }
    case "sa.update":
      return `"${e.sa}" ${e.field} = ${e.value}`;
    case "deliver":
      return `${e.socket}: ${e.summary}${e.rttMicros === undefined ? "" : `, rtt ${e.rttMicros} µs`}`;
    case "drop":
      return `${e.reason}: ${e.detail}`;
    case "fault":
      return `${e.fault} on ${e.link}: ${e.detail}`;
  }
}

/** The whole trace as text, one event per line, then the outcome. */
export function normalizeTrace(trace: ScenarioTrace): string {
  const hostW = Math.max(4, ...trace.events.map((e) => e.host.length));
  const fnW = Math.max(2, ...trace.events.map((e) => e.fn.length));
  const kindW = Math.max(4, ...trace.events.map((e) => e.kind.length));
  const tW = Math.max(1, ...trace.events.map((e) => String(e.t).length));
  const seqW = String(trace.events.length).length;
  const s = trace.scenario;
  const lines = [
    `# ${s.name} — personality ${trace.personality}, fixes: ${trace.fixes.length ? trace.fixes.join(", ") : "none"}, seed ${s.seed}`,
    `# ${trace.events.length} events, ${trace.packets.length} packet versions`,
    `# ${"seq".padStart(seqW)} ${"t/µs".padStart(tW)} ${"host".padEnd(hostW)} ${"layer".padEnd(6)} ${"fn".padEnd(fnW)} ${"kind".padEnd(kindW)} st chain  payload`,
  ];
  for (const e of trace.events) {
    const story = e.story === undefined ? "  " : `s${e.story}`;
    const chain = e.chain < 0 ? "-" : `#${e.chain}`;
    lines.push(
      `  ${String(e.seq).padStart(seqW)} ${String(e.t).padStart(tW)} ${e.host.padEnd(hostW)} ${e.layer.padEnd(6)} ${e.fn.padEnd(fnW)} ${e.kind.padEnd(kindW)} ${story} ${chain.padEnd(6)} ${payloadText(trace, e)}`.trimEnd(),
    );
  }
  const o = trace.outcome;
  lines.push("", `outcome: ${o.verdict} — ${o.sent} sent, ${o.delivered} delivered`);
  for (const f of o.findings) lines.push(`  ${f.severity.padEnd(8)} ${f.id} @${f.step}: ${f.sentence}`);
  return `${lines.join("\n")}\n`;
}
