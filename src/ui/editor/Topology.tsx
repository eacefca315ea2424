/**
 * The drawn network, which is also the editor's navigation: click a host to go to its section;
 * add a host linked to the selected one, link two hosts, or set up an ESP tunnel between two
 * linked hosts (pick the mode, then the other host). d3-force lays it out (topology.ts); React
 * draws it.
 */
import { useMemo, useState, type ReactElement } from "react";
import type { StoreApi } from "zustand/vanilla";
import type { Problem } from "../../engine/index";
import { hostOfPath, type Draft } from "./draft";
import type { EditorState } from "./editorStore";
import { useEditor } from "./editorStore";
import { cryptoFill } from "./keys";
import { addHost, addTunnel, connectHosts } from "./templates";
import { layoutTopology, NODE_H, NODE_W } from "./topology";

/** Props: the editor store, its draft and problems. */
export interface TopologyProps {
  readonly store: StoreApi<EditorState>;
  readonly draft: Draft;
  readonly problems: readonly Problem[];
}

type Mode = "select" | "link" | "tunnel";

const WIDTH = 470;
const HEIGHT = 160;

export function Topology({ store, draft, problems }: TopologyProps): ReactElement {
  const selected = useEditor(store, (s) => s.selectedHost);
  const [mode, setMode] = useState<Mode>("select");
  const [note, setNote] = useState("");
  const topo = useMemo(() => layoutTopology(draft, WIDTH, HEIGHT), [draft]);
  const bad = useMemo(() => {
    const counts = new Map<number, number>();
    for (const p of problems) {
      const h = hostOfPath(p.path);
      if (h !== undefined) counts.set(h, (counts.get(h) ?? 0) + 1);
    }
    return counts;
  }, [problems]);
  const st = store.getState();
  const selName = topo.nodes[selected]?.name ?? "";

  const onHost = (i: number) => {
    if (mode === "link" && i !== selected) {
      st.edit(connectHosts(draft, selected, i));
      setNote(`Linked ${selName} and ${topo.nodes[i]?.name ?? ""}.`);
      setMode("select");
      return;
    }
    if (mode === "tunnel" && i !== selected) {
      const next = addTunnel(draft, selected, i, cryptoFill);
      if (next) {
        st.edit(next);
        setNote(`ESP tunnel between ${selName} and ${topo.nodes[i]?.name ?? ""}: two SAs and four policies added.`);
      } else setNote(`No link joins ${selName} and ${topo.nodes[i]?.name ?? ""}: link them first.`);
      setMode("select");
      return;
    }
    setMode("select");
    st.selectHost(i);
    st.navigate(`$.hosts[${i}]`);
  };

  return (
    <div className="ed-topo">
      <div className="ed-topo-tools" role="toolbar" aria-label="Topology">
        <button
          type="button"
          className="btn btn--small"
          data-testid="topo-add-host"
          title={topo.nodes.length > 0 ? `Add a host linked to ${selName}` : "Add a host"}
          onClick={() => {
            const next = addHost(draft, topo.nodes.length > 0 ? selected : undefined);
            st.edit(next);
            setNote(topo.nodes.length > 0 ? `Added a host linked to ${selName}.` : "Added a host.");
          }}
        >
          + Host
        </button>
        <button
          type="button"
          className="btn btn--small"
          aria-pressed={mode === "link"}
          disabled={topo.nodes.length < 2}
          data-testid="topo-link"
          title={`Link ${selName} to another host (then click it)`}
          onClick={() => setMode(mode === "link" ? "select" : "link")}
        >
          + Link…
        </button>
        <button
          type="button"
          className="btn btn--small"
          aria-pressed={mode === "tunnel"}
          disabled={topo.nodes.length < 2}
          data-testid="topo-tunnel"
          title={`An ESP tunnel from ${selName} to a linked host (then click it)`}
          onClick={() => setMode(mode === "tunnel" ? "select" : "tunnel")}
        >
          + ESP tunnel…
        </button>
      </div>
      <svg className="ed-topo-svg" viewBox={`0 0 ${topo.width} ${topo.height}`} role="group" aria-label="Hosts and links: click a host to edit it">
        {topo.edges.map((e, i) => {
          const a = topo.nodes[e.a]!;
          const b = topo.nodes[e.b]!;
          return (
            <g key={i} className="ed-topo-edge">
              <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} />
              <text x={(a.x + b.x) / 2} y={(a.y + b.y) / 2 - 8} textAnchor="middle">
                {e.name}
              </text>
              <text x={a.x + (b.x - a.x) * 0.28} y={a.y + (b.y - a.y) * 0.28 + 16} textAnchor="middle" className="ed-topo-if">
                {e.ifA}
              </text>
              <text x={a.x + (b.x - a.x) * 0.72} y={a.y + (b.y - a.y) * 0.72 + 16} textAnchor="middle" className="ed-topo-if">
                {e.ifB}
              </text>
            </g>
          );
        })}
        {topo.nodes.map((n) => {
          const problemsHere = bad.get(n.index) ?? 0;
          return (
            <g
              key={n.index}
              className={`ed-topo-node${n.index === selected ? " is-selected" : ""}${problemsHere ? " is-bad" : ""}`}
              transform={`translate(${n.x - NODE_W / 2},${n.y - NODE_H / 2})`}
              role="button"
              tabIndex={0}
              data-testid={`topo-host-${n.name}`}
              aria-label={`${n.name}${problemsHere ? `, ${problemsHere} problems` : ""}: edit`}
              onClick={() => onHost(n.index)}
              onKeyDown={(e) => {
                if (e.key === "Enter") onHost(n.index);
              }}
            >
              {/* lo0, which every host has: a loop on the box's top edge */}
              <path className="ed-topo-lo" d={`M ${NODE_W - 40} 0 C ${NODE_W - 40} -22, ${NODE_W - 12} -22, ${NODE_W - 12} 0`} />
              <text className="ed-topo-if" x={NODE_W - 46} y={-5} textAnchor="end">
                lo0
              </text>
              <rect width={NODE_W} height={NODE_H} rx={8} />
              <text x={NODE_W / 2} y={20} textAnchor="middle" className="ed-topo-name">
                {n.name}
                {problemsHere ? ` ⚠ ${problemsHere}` : ""}
              </text>
              <text x={NODE_W / 2} y={38} textAnchor="middle" className="ed-topo-addr">
                {n.addrs.length ? `${n.addrs[0]!}${n.addrs.length > 1 ? ` +${n.addrs.length - 1}` : ""}` : "127.0.0.1 (lo0)"}
              </text>
            </g>
          );
        })}
      </svg>
      <p className="ed-topo-note" aria-live="polite">
        {mode === "link"
          ? `Click the host to link ${selName} to.`
          : mode === "tunnel"
            ? `Click the host at the other end of the tunnel from ${selName}.`
            : note || `Click a host to edit it. Selected: ${selName || "none"} (+ Host links the new one to it).`}
      </p>
    </div>
  );
}
