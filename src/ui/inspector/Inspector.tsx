/**
 * The inspector for the current packet version: header tree ↔ hex bytes (hovering one lights
 * the other, through the FIELDS spans the dissector gives), the mbuf segments with their leading
 * and trailing space, and the tags (with tdb_ident) and m_flags. An ESP payload shows as
 * ciphertext, with a switch to its decrypted view.
 */
import { lazy, memo, Suspense, useLayoutEffect, useMemo, useRef, useState, type ReactElement } from "react";
import { M_FLAGS, type ScenarioTrace, type TraceEvent } from "../../engine/index";
import { tagflowStore, useTagflow } from "../../store/index";
import { flagIsStale, tagIsStale, tagLanes } from "../../store/tagLanes";
import { useElementSize } from "../hooks/useElementSize";
import { indexFields, type FieldIndex, type PacketModel, type Region } from "./packetModel";
import { visibleRange } from "../timeline/lanesLayout";
import { flagLabel, flagSwatch, tagShortName, tagSwatch } from "../palette";
import { packetModelAt } from "../stepModel";
import { Icon } from "../icons";
import { hex } from "../text";
import { SkbPanel } from "./SkbPanel";
import { EspSaPanel } from "./EspSaPanel";

// The netlink / PF_KEY decoders (wire/xfrm_nl, wire/pfkey) load when a key message is first shown.
const KeyMessagePanel = lazy(() => import("./KeyMessagePanel").then((m) => ({ default: m.KeyMessagePanel })));

const REGION_LABEL: Readonly<Record<string, string>> = {
  ipv4: "IPv4 header",
  icmp: "ICMP header",
  esp: "ESP header",
  "esp-iv": "ESP IV",
  "esp-ciphertext": "ESP payload (encrypted)",
  "esp-encrypted": "ESP payload (encrypted)",
  "esp-icv": "ESP ICV",
  ah: "AH header",
  "ah-icv": "AH ICV",
  udp: "UDP header",
  payload: "Data",
  undecoded: "Undecoded bytes",
  pending: "New header, being written",
  "esp-trailer": "ESP trailer",
};

/** The CSS class of a region's bytes (colour family per header kind). */
function regionClass(r: Region | undefined): string {
  if (!r) return "";
  const kind =
    r.header === "esp-ciphertext" || r.header === "esp-encrypted"
      ? "enc"
      : r.header.startsWith("esp")
        ? "esp"
        : r.header.startsWith("ah")
          ? "ah"
          : r.header;
  return `r-${kind}${r.inner ? " r-inner" : ""}`;
}

interface View {
  readonly bytes: Uint8Array;
  readonly regions: readonly Region[];
  readonly index: FieldIndex;
  readonly decrypted: boolean;
}

const viewCache = new WeakMap<object, View>();

/** The bytes and regions shown: the wire bytes, or the decrypted view. Memoised per model and mode. */
function viewOf(model: PacketModel, decrypted: boolean): View {
  const src = decrypted && model.decrypted ? model.decrypted : model;
  let v = viewCache.get(src);
  if (!v) {
    v = { bytes: src.bytes, regions: src.regions, index: indexFields(src.regions, src.bytes.length), decrypted: src !== model };
    viewCache.set(src, v);
  }
  return v;
}

/** The field key and byte range the pointer lights up. */
function useHighlight(view: View): { key: string | null; start: number; end: number; region: number } {
  const hover = useTagflow((s) => s.hover);
  const selected = useTagflow((s) => s.selectedField);
  // A key message's struct member (KeyMessagePanel) lights its own bytes, over any selected field.
  if (hover?.kind === "range") return { key: null, start: hover.start, end: hover.end, region: view.index.regionOf[hover.start] ?? -1 };
  const key =
    hover?.kind === "field" ? hover.key : hover?.kind === "byte" ? (view.index.fields[view.index.owner[hover.offset] ?? -1]?.key ?? null) : selected;
  const f = key ? view.index.byKey.get(key) : undefined;
  if (f) return { key: f.key, start: f.start, end: f.end, region: f.regionIndex };
  if (hover?.kind === "byte") {
    const r = view.index.regionOf[hover.offset] ?? -1;
    const region = view.regions[r];
    if (region) return { key: null, start: region.start, end: region.end, region: r };
  }
  return { key: null, start: -1, end: -1, region: -1 };
}

const HeaderTree = memo(function HeaderTree({ view, highlight }: { view: View; highlight: ReturnType<typeof useHighlight> }): ReactElement {
  const selected = useTagflow((s) => s.selectedField);
  const fromBytes = useTagflow((s) => s.hover?.kind === "byte");
  const list = useRef<HTMLUListElement>(null);
  useLayoutEffect(() => {
    // Hovering the bytes brings their field into view in the tree (not the other way round).
    if (!fromBytes || !highlight.key) return;
    list.current?.querySelector(`[data-field="${CSS.escape(highlight.key)}"]`)?.scrollIntoView?.({ block: "nearest" });
  }, [fromBytes, highlight.key]);
  const nth = new Map<string, number>();
  const st = tagflowStore.getState();
  return (
    <ul className="tree" aria-label="Headers and fields" ref={list}>
      {view.regions.map((r, ri) => {
        const n = nth.get(r.header) ?? 0;
        nth.set(r.header, n + 1);
        return (
          <li key={`${ri}-${r.header}`} className={`tree-region ${regionClass(r)}${highlight.region === ri ? " is-lit" : ""}`}>
            <div className="tree-region-head">
              <span className="tree-swatch" aria-hidden="true" />
              <span className="tree-region-name">{REGION_LABEL[r.header] ?? r.header}</span>
              {r.inner && <span className="tree-inner">{view.decrypted ? "decrypted" : "in the clear in memory"}</span>}
              <span className="tree-range">
                {r.start}–{r.end - 1}
              </span>
            </div>
            {r.note && <div className="tree-note">{r.note}</div>}
            {r.fields.length > 0 && (
              <ul>
                {r.fields.map((f) => {
                  const key = `${r.header}#${n}.${f.name}`;
                  const lit = highlight.key === key;
                  return (
                    <li key={key}>
                      <button
                        type="button"
                        className={`tree-field${lit ? " is-lit" : ""}${selected === key ? " is-selected" : ""}`}
                        aria-pressed={selected === key}
                        data-field={key}
                        onPointerEnter={() => st.setHover({ kind: "field", key })}
                        onPointerLeave={() => st.setHover(null)}
                        onFocus={() => st.setHover({ kind: "field", key })}
                        onBlur={() => st.setHover(null)}
                        onClick={() => st.selectField(key)}
                      >
                        <span className="tree-field-label">{f.label}</span>
                        <span className="tree-field-value">{f.value}</span>
                      </button>
                    </li>
                  );
                })}
              </ul>
            )}
          </li>
        );
      })}
    </ul>
  );
});

const HEX_ROW = 22;

function HexView({ view, highlight }: { view: View; highlight: ReturnType<typeof useHighlight> }): ReactElement {
  const box = useRef<HTMLDivElement>(null);
  const size = useElementSize(box);
  const [scrollTop, setScrollTop] = useState(0);
  const perRow = size.width >= 430 ? 16 : 8;
  const rows = Math.ceil(view.bytes.length / perRow);
  const { first, last } = visibleRange(rows, HEX_ROW, scrollTop, size.height || 200, 4);
  const st = tagflowStore.getState();
  const hexDigits = "0123456789abcdef";
  const out: ReactElement[] = [];
  for (let row = first; row <= last; row++) {
    const cells: ReactElement[] = [];
    for (let i = row * perRow; i < Math.min(view.bytes.length, (row + 1) * perRow); i++) {
      const b = view.bytes[i]!;
      const r = view.regions[view.index.regionOf[i] ?? -1];
      const lit = i >= highlight.start && i < highlight.end;
      cells.push(
        <span
          key={i}
          className={`hex-byte ${regionClass(r)}${lit ? " is-lit" : ""}`}
          data-offset={i}
          onPointerEnter={() => st.setHover({ kind: "byte", offset: i })}
        >
          {hexDigits[b >> 4]}
          {hexDigits[b & 15]}
        </span>,
      );
    }
    out.push(
      <div key={row} className="hex-row" style={{ top: row * HEX_ROW }}>
        <span className="hex-offset">{(row * perRow).toString(16).padStart(4, "0")}</span>
        {cells}
      </div>,
    );
  }
  return (
    <div
      className="hex"
      ref={box}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      onPointerLeave={() => st.setHover(null)}
      aria-label={`${view.bytes.length} bytes in hex${view.decrypted ? ", decrypted view" : ""}`}
      role="group"
    >
      <div className="hex-inner" style={{ height: rows * HEX_ROW }}>
        {out}
      </div>
    </div>
  );
}

function PacketPanel({ model }: { model: PacketModel }): ReactElement {
  const decryptedOn = useTagflow((s) => s.decrypted);
  const canDecrypt = model.decrypted !== null;
  const view = viewOf(model, decryptedOn && canDecrypt);
  const highlight = useHighlight(view);
  return (
    <div className="packet-panel">
      <div className="packet-toolbar">
        <label className={`switch${canDecrypt ? "" : " is-disabled"}`}>
          <input
            type="checkbox"
            role="switch"
            checked={decryptedOn && canDecrypt}
            disabled={!canDecrypt}
            onChange={(e) => tagflowStore.getState().setDecrypted(e.target.checked)}
            data-testid="decrypted-toggle"
          />
          <span className="switch-track" aria-hidden="true" />
          <span>Decrypted view</span>
        </label>
        {model.notes.length > 0 ? (
          <span className="packet-toolbar-hint packet-toolbar-hint--warn" title={model.notes.join("\n")}>
            Half-built: {model.notes[0]}
          </span>
        ) : (
          <span className="packet-toolbar-hint">
            {canDecrypt
              ? view.decrypted
                ? "not what is on the wire"
                : "showing the ciphertext on the wire"
              : model.encrypted
                ? "no plaintext recorded here"
                : "nothing encrypted here"}
          </span>
        )}
      </div>
      <div className="packet-split">
        <HeaderTree view={view} highlight={highlight} />
        <HexView view={view} highlight={highlight} />
      </div>
    </div>
  );
}

function MbufPanel({ model, event }: { model: PacketModel; event: TraceEvent }): ReactElement {
  const segs = model.version.segs;
  const max = Math.max(1, ...segs.map((s) => s.leading + s.len + s.trailing));
  let at = 0;
  return (
    <div className="mbuf-panel">
      <p className="panel-intro">
        {segs.length === 1 ? "One mbuf" : `${segs.length} mbufs`} in the chain, {model.bytes.length} bytes of data. M_PREPEND uses the leading space
        when a header fits, and allocates a new mbuf when it does not.
      </p>
      {event.kind === "mbuf.prepend" && (
        <p className="mbuf-event">
          This step prepended {event.len} bytes for the {event.header} header{" "}
          {event.leading === "space" ? "into the leading space" : "in a newly allocated mbuf"}.
        </p>
      )}
      {event.kind === "mbuf.makespace" && (
        <p className="mbuf-event">
          m_makespace opened {event.len} bytes at offset {event.offset} {event.how === "split" ? "by splitting the chain" : "in place"}.
        </p>
      )}
      <ol className="mbuf-list">
        {segs.map((s, i) => {
          const start = at;
          at += s.len;
          const parts = model.regions.filter((r) => r.end > start && r.start < start + s.len);
          return (
            <li key={i} className="mbuf">
              <div className="mbuf-head">
                <strong>{s.kind === "pkthdr" ? "pkthdr mbuf" : s.kind === "cluster" ? "cluster" : "mbuf"}</strong> · {s.leading} leading · {s.len}{" "}
                data · {s.trailing} trailing
              </div>
              <div className="mbuf-bar" aria-hidden="true">
                <span className="mbuf-space" style={{ flexGrow: s.leading / max }} />
                {parts.map((r, j) => (
                  <span
                    key={j}
                    className={`mbuf-data ${regionClass(r)}`}
                    style={{ flexGrow: (Math.min(r.end, start + s.len) - Math.max(r.start, start)) / max }}
                    title={REGION_LABEL[r.header] ?? r.header}
                  />
                ))}
                <span className="mbuf-space" style={{ flexGrow: s.trailing / max }} />
                <span className="mbuf-rest" style={{ flexGrow: Math.max(0, 1 - (s.leading + s.len + s.trailing) / max) }} />
              </div>
            </li>
          );
        })}
      </ol>
      <p className="mbuf-legend">
        <span className="mbuf-space" /> free space <span className="mbuf-data r-ipv4" /> data (coloured by header)
      </p>
    </div>
  );
}

function TagsPanel({ model, event, trace }: { model: PacketModel; event: TraceEvent; trace: ScenarioTrace }): ReactElement {
  const lanes = tagLanes(trace);
  const selectedTag = useTagflow((s) => s.selectedTag);
  const tags = model.version.tags;
  return (
    <div className="tags-panel">
      <h3 className="panel-h">Tags ({tags.length})</h3>
      {tags.length === 0 ? (
        <p className="panel-empty">No m_tags on this packet.</p>
      ) : (
        <ul className="tag-list">
          {tags.map((t) => {
            const lane = lanes.byUid.get(t.uid);
            const stale = tagIsStale(lanes, model.version, t.uid, event.seq);
            const sw = tagSwatch(t.name);
            return (
              <li key={t.uid} className={`tag-item${selectedTag === t.uid ? " is-selected" : ""}`}>
                <button
                  type="button"
                  className="tag-item-head"
                  aria-pressed={selectedTag === t.uid}
                  onClick={() => tagflowStore.getState().selectTag(t.uid)}
                >
                  <span className={`mini-badge${stale ? " is-stale" : ""}`} style={{ background: sw.fill, color: sw.text }}>
                    {tagShortName(t.name)}
                  </span>
                  <span>PACKET_TAG_{t.name}</span>
                  {stale && <strong className="stale-word">stale</strong>}
                </button>
                <dl className="tag-facts">
                  <dt>id</dt>
                  <dd>{t.id}</dd>
                  <dt>len</dt>
                  <dd>{t.len} B</dd>
                  <dt>persistent</dt>
                  <dd>{t.persistent ? "yes" : "no"}</dd>
                  {t.tdbi && (
                    <>
                      <dt>tdb_ident</dt>
                      <dd>
                        <code>
                          {"{"}dst {t.tdbi.dst}, {t.tdbi.proto}, spi {hex(t.tdbi.spi)}
                          {"}"}
                        </code>
                      </dd>
                    </>
                  )}
                  {lane && (
                    <>
                      <dt>life</dt>
                      <dd>
                        from step {lane.start + 1}
                        {lane.end === null ? ", alive at the end" : `, until step ${lane.end + 1}`}
                        {lane.staleFrom !== null ? `; consulted stale at step ${lane.staleFrom + 1}` : ""}
                      </dd>
                    </>
                  )}
                </dl>
              </li>
            );
          })}
        </ul>
      )}
      <h3 className="panel-h">m_flags</h3>
      <ul className="flag-list">
        {M_FLAGS.map((f) => {
          const on = model.version.flags.includes(f);
          const stale = on && flagIsStale(lanes, model.version, event.chain, f, event.seq);
          return (
            <li
              key={f}
              className={`flag-item${on ? " is-on" : ""}${stale ? " is-stale" : ""}`}
              style={on ? { borderColor: flagSwatch(f).fill } : undefined}
            >
              {flagLabel(f)} <span className="flag-state">{on ? (stale ? "set · stale" : "set") : "clear"}</span>
            </li>
          );
        })}
      </ul>
      <p className="panel-foot">rcvif: {model.version.rcvif ?? "none (locally generated)"}</p>
    </div>
  );
}

/** Props: none; reads the store. The tab strip lives in the side panel (App). */
export function Inspector(): ReactElement {
  const trace = useTagflow((s) => s.trace);
  const cursor = useTagflow((s) => s.cursor);
  const pinned = useTagflow((s) => s.selectedPacket);
  const tab = useTagflow((s) => s.inspectorTab);
  const event = trace?.events.at(cursor) ?? null;
  const model = useMemo(() => (trace && event ? packetModelAt(trace, event.seq, pinned) : null), [trace, event, pinned]);
  const scroller = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    scroller.current?.scrollTo?.({ top: 0 });
  }, [tab]);
  return (
    <section className="inspector" aria-label="Inspector">
      <div className="inspector-sub">
        {model ? (
          <>
            <span className="inspector-id">
              packet version {model.version.id} · chain {model.version.chain} · {model.bytes.length} B
              {model.version.rcvif ? ` · rcvif ${model.version.rcvif}` : ""}
            </span>
            <button
              type="button"
              className={`btn btn--small${pinned !== null ? " is-on" : ""}`}
              aria-pressed={pinned !== null}
              onClick={() => tagflowStore.getState().pinPacket(pinned === null ? model.version.id : null)}
              title={pinned === null ? "Keep showing this packet version while stepping" : "Follow the current step again"}
            >
              <Icon name="pin" size={14} /> {pinned === null ? "Pin" : "Pinned: unpin"}
            </button>
          </>
        ) : (
          <span>{event ? "No packet at this step: the socket has not built one yet." : trace ? "No packets in this trace." : "Loading…"}</span>
        )}
      </div>
      <div className={`inspector-body inspector-body--${tab}`} ref={scroller}>
        {/* Seed 002: skb->dev against skb->dst->dev, at the top of the scrolling body (the inspector's grid has two rows). */}
        {trace && model && <SkbPanel trace={trace} cursor={cursor} chain={model.version.chain} />}
        {/* Issue 10: the ESP packet's SA — 32-bit or ESN (seq-hi kept in the SA), and its replay window. */}
        {trace && model && event && <EspSaPanel trace={trace} cursor={cursor} model={model} host={event.host} />}
        {/* Seed 004: a key-management message's C members (KeyMessagePanel), above its hex. */}
        {trace && model && tab === "packet" && trace.scenario.keying && (
          <Suspense fallback={null}>
            <KeyMessagePanel trace={trace} cursor={cursor} chain={model.version.chain} bytes={model.bytes} />
          </Suspense>
        )}
        {model && event && trace ? (
          tab === "packet" ? (
            <PacketPanel model={model} />
          ) : tab === "mbufs" ? (
            <MbufPanel model={model} event={event} />
          ) : (
            <TagsPanel model={model} event={event} trace={trace} />
          )
        ) : (
          <p className="panel-empty">{event ? "Step forward to see the packet the kernel builds." : "Nothing to inspect."}</p>
        )}
      </div>
    </section>
  );
}
