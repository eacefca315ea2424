/**
 * The editor's drawing of the network: hosts as nodes, links as edges, laid out by d3-force run
 * to rest here (a fixed number of ticks from d3's deterministic start, so the same scenario is
 * always drawn the same way), then fitted into the box. Pure: data in, positions out; React
 * draws them (style.md, "kernels return plans").
 */
import { forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY, type SimulationNodeDatum } from "d3-force";
import type { Draft } from "./draft";

export interface TopoNode {
  readonly index: number;
  readonly name: string;
  /** The host's addresses other than lo0's, for the label. */
  readonly addrs: readonly string[];
  readonly x: number;
  readonly y: number;
}

export interface TopoEdge {
  readonly name: string;
  readonly a: number;
  readonly b: number;
  readonly ifA: string;
  readonly ifB: string;
}

export interface Topology {
  readonly nodes: readonly TopoNode[];
  readonly edges: readonly TopoEdge[];
  /** The drawing's size (its viewBox): at least the size asked for, more when the hosts need it. */
  readonly width: number;
  readonly height: number;
}

/** The box a host is drawn in. */
export const NODE_W = 150;
export const NODE_H = 50;

interface SimNode extends SimulationNodeDatum {
  index: number;
}

/** Lay out `draft`'s hosts and links in a width × height box. */
export function layoutTopology(draft: Draft, width: number, height: number): Topology {
  const hosts = Array.isArray(draft.hosts) ? (draft.hosts as { name?: unknown; interfaces?: { addr?: unknown }[] }[]) : [];
  const index = new Map(hosts.map((h, i) => [String(h.name ?? ""), i]));
  const edges: TopoEdge[] = [];
  for (const l of Array.isArray(draft.links) ? (draft.links as { name?: unknown; ends?: unknown }[]) : []) {
    if (!Array.isArray(l.ends) || l.ends.length !== 2) continue;
    const [ea, eb] = (l.ends as unknown[]).map((e) => String(e).split(":"));
    const a = index.get(ea?.[0] ?? "");
    const b = index.get(eb?.[0] ?? "");
    if (a === undefined || b === undefined || a === b) continue;
    edges.push({ name: String(l.name ?? ""), a, b, ifA: ea?.[1] ?? "", ifB: eb?.[1] ?? "" });
  }
  const nodes: SimNode[] = hosts.map((_, i) => ({ index: i }));
  if (nodes.length > 1) {
    const sim = forceSimulation(nodes)
      .force(
        "link",
        forceLink<SimNode, { source: number; target: number }>(edges.map((e) => ({ source: e.a, target: e.b })))
          .id((n) => n.index)
          .distance(270),
      )
      .force("charge", forceManyBody().strength(-900))
      .force("collide", forceCollide(NODE_W * 0.6))
      .force("x", forceX(0).strength(0.05))
      .force("y", forceY(0).strength(0.12))
      .stop();
    sim.tick(300);
  }
  // Host 0 on the left, as the scenario lists it (the force layout's orientation is arbitrary).
  if (nodes.length > 1 && (nodes[0]!.x ?? 0) > (nodes[1]!.x ?? 0)) for (const n of nodes) n.x = -(n.x ?? 0);
  // The drawing's box: the layout's bounds plus a margin, never smaller than width × height (so
  // one or two hosts are not blown up). The SVG scales it to fit; boxes never overlap, however
  // many hosts (collide keeps centres 1.2 × NODE_W apart).
  const pad = { x: NODE_W / 2 + 12, y: NODE_H / 2 + 26 };
  const xs = nodes.map((n) => n.x ?? 0);
  const ys = nodes.map((n) => n.y ?? 0);
  const [minX, maxX, minY, maxY] = [Math.min(...xs, 0), Math.max(...xs, 0), Math.min(...ys, 0), Math.max(...ys, 0)];
  const w = Math.max(width, maxX - minX + 2 * pad.x);
  const h = Math.max(height, maxY - minY + 2 * pad.y);
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  return {
    nodes: nodes.map((n, i) => ({
      index: i,
      name: String(hosts[i]?.name ?? ""),
      addrs: (hosts[i]?.interfaces ?? []).map((f) => String(f.addr ?? "")),
      x: w / 2 + (n.x ?? 0) - cx,
      y: h / 2 + (n.y ?? 0) - cy,
    })),
    edges,
    width: w,
    height: h,
  };
}
