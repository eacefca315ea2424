/**
 * New things for the draft: list items with sensible values (a fresh SPI, a generated key, the
 * host's own address), a host linked to another, and an ESP tunnel between two linked hosts.
 * Pure: the random source is passed in; every function returns a new draft.
 */
import { appendIn, getIn, setIn, type Draft } from "./draft";
import { encKeyRule, generateKey, generatedLength, type RandomFill } from "./keys";
import { nodeAt, skeleton, type Path } from "./schemaForm";

interface IfaceLike {
  readonly name?: unknown;
  readonly addr?: unknown;
}
interface HostLike {
  readonly name?: unknown;
  readonly interfaces?: readonly IfaceLike[];
  readonly sad?: readonly { readonly spi?: unknown }[];
}

const hostsOf = (d: Draft): readonly HostLike[] => (Array.isArray(d.hosts) ? (d.hosts as HostLike[]) : []);
const linksOf = (d: Draft): readonly { name?: unknown; ends?: unknown }[] => (Array.isArray(d.links) ? (d.links as { name?: unknown }[]) : []);
const addrOf = (cidr: unknown) => (typeof cidr === "string" ? cidr.split("/")[0]! : "");

/** The first name `prefix` + n (n from `from`) not in `taken`. */
function freeName(prefix: string, taken: readonly unknown[], from = 0): string {
  for (let n = from; ; n++) if (!taken.includes(`${prefix}${n}`)) return `${prefix}${n}`;
}

/** A host's own address for new SAs and policies: its first interface's, or lo0's. */
export function hostAddress(host: HostLike | undefined): string {
  const first = host?.interfaces?.find((i) => typeof i.addr === "string");
  return first ? addrOf(first.addr) : "127.0.0.1";
}

/** 10.k.0.0/24 for the first k no interface of the draft is in yet. */
function freeSubnet(d: Draft): number {
  const used = new Set(hostsOf(d).flatMap((h) => (h.interfaces ?? []).map((i) => addrOf(i.addr).split(".").slice(0, 2).join("."))));
  for (let k = 1; k < 255; k++) if (!used.has(`10.${k}`)) return k;
  return 254;
}

/** An SPI no SA of the draft has yet, from 0x3000 up, as setkey writes it. */
function freeSpi(d: Draft, skip: readonly number[] = []): string {
  const used = new Set(
    hostsOf(d).flatMap((h) => (h.sad ?? []).map((s) => (typeof s.spi === "number" ? s.spi : typeof s.spi === "string" ? parseInt(s.spi, 16) : -1))),
  );
  for (let n = 0x3000; ; n++) if (!used.has(n) && !skip.includes(n)) return `0x${n.toString(16)}`;
}

/**
 * Join hosts `a` and `b` (indices) with a new Ethernet-like link: a new interface on each in a
 * fresh 10.k.0.0/24 (.1 on a, .2 on b) and a link between them.
 */
export function connectHosts(d: Draft, a: number, b: number): Draft {
  const hosts = hostsOf(d);
  const ha = hosts[a];
  const hb = hosts[b];
  if (!ha || !hb || a === b) return d;
  const k = freeSubnet(d);
  const ifa = freeName(
    "em",
    (ha.interfaces ?? []).map((i) => i.name),
  );
  const ifb = freeName(
    "em",
    (hb.interfaces ?? []).map((i) => i.name),
  );
  let out = appendIn(d, ["hosts", a, "interfaces"], { name: ifa, addr: `10.${k}.0.1/24` });
  out = appendIn(out, ["hosts", b, "interfaces"], { name: ifb, addr: `10.${k}.0.2/24` });
  const link = freeName(
    "net",
    linksOf(out).map((l) => l.name),
  );
  return appendIn(out, ["links"], { name: link, ends: [`${String(ha.name)}:${ifa}`, `${String(hb.name)}:${ifb}`] });
}

/** Add a host (host2, host3, …), linked to host `linkTo` when given. */
export function addHost(d: Draft, linkTo?: number): Draft {
  const name = freeName(
    "host",
    hostsOf(d).map((h) => h.name),
    2,
  );
  const out = appendIn(d, ["hosts"], { name });
  return linkTo === undefined ? out : connectHosts(out, linkTo, hostsOf(out).length - 1);
}

/** The addresses by which hosts `a` and `b` reach each other over one link, if one joins them. */
export function linkedAddresses(d: Draft, a: number, b: number): { a: string; b: string } | undefined {
  const hosts = hostsOf(d);
  const ha = hosts[a];
  const hb = hosts[b];
  if (!ha || !hb) return undefined;
  for (const l of linksOf(d)) {
    if (!Array.isArray(l.ends)) continue;
    const ends = (l.ends as unknown[]).map((e) => String(e).split(":"));
    const ea = ends.find(([h]) => h === ha.name);
    const eb = ends.find(([h]) => h === hb.name);
    const ia = ha.interfaces?.find((i) => i.name === ea?.[1]);
    const ib = hb.interfaces?.find((i) => i.name === eb?.[1]);
    if (ia && ib) return { a: addrOf(ia.addr), b: addrOf(ib.addr) };
  }
  return undefined;
}

/**
 * An ESP tunnel between linked hosts `a` and `b`, as setkey would set it up on each end
 * (setkey(8): `add A B esp SPI -m tunnel -E aes-gcm-16 KEY;` and `spdadd A/32 B/32 any -P out
 * ipsec esp/tunnel/A-B/require;`): an SA each way (AES-GCM-16, keys from `fill`) installed on
 * both hosts, and out/in policies on both. Undefined when no link joins them.
 */
export function addTunnel(d: Draft, a: number, b: number, fill: RandomFill): Draft | undefined {
  const addrs = linkedAddresses(d, a, b);
  if (!addrs) return undefined;
  const keyLen = generatedLength(encKeyRule("aes-gcm-16")!, "");
  const spiAB = freeSpi(d);
  const spiBA = freeSpi(d, [parseInt(spiAB, 16)]);
  const sa = (spi: string, src: string, dst: string, encKey: string) => ({ spi, src, dst, proto: "esp", mode: "tunnel", enc: "aes-gcm-16", encKey });
  const keyAB = generateKey(keyLen, fill);
  const keyBA = generateKey(keyLen, fill);
  const sas = [sa(spiAB, addrs.a, addrs.b, keyAB), sa(spiBA, addrs.b, addrs.a, keyBA)];
  const policy = (dir: "out" | "in", src: string, dst: string) => ({
    dir,
    src: `${src}/32`,
    dst: `${dst}/32`,
    action: "ipsec",
    requests: [{ proto: "esp", mode: "tunnel", tunnelSrc: src, tunnelDst: dst, level: "require" }],
  });
  let out = d;
  for (const s of sas) {
    out = appendIn(out, ["hosts", a, "sad"], s);
    out = appendIn(out, ["hosts", b, "sad"], s);
  }
  out = appendIn(out, ["hosts", a, "spd"], policy("out", addrs.a, addrs.b));
  out = appendIn(out, ["hosts", a, "spd"], policy("in", addrs.b, addrs.a));
  out = appendIn(out, ["hosts", b, "spd"], policy("out", addrs.b, addrs.a));
  out = appendIn(out, ["hosts", b, "spd"], policy("in", addrs.a, addrs.b));
  return out;
}

/** Remove host `index`, and the links and traffic that name it (they could not run without it). */
export function removeHost(d: Draft, index: number): Draft {
  const host = hostsOf(d)[index];
  if (!host) return d;
  const name = String(host.name);
  let out = setIn(
    d,
    ["hosts"],
    hostsOf(d).filter((_, i) => i !== index),
  );
  if (Array.isArray(d.links))
    out = setIn(
      out,
      ["links"],
      linksOf(d).filter((l) => !(Array.isArray(l.ends) && (l.ends as unknown[]).some((e) => String(e).split(":")[0] === name))),
    );
  if (Array.isArray(d.traffic))
    out = setIn(
      out,
      ["traffic"],
      (d.traffic as { from?: unknown }[]).filter((t) => t.from !== name),
    );
  return out;
}

/**
 * A new item for the list at `listPath`, filled in where the context says what makes sense (the
 * host's address, a free SPI and interface name, a generated key), else the schema's skeleton.
 */
export function newItem(d: Draft, listPath: Path, fill: RandomFill, kind?: string): unknown {
  const last = listPath[listPath.length - 1];
  const hostIndex = listPath[0] === "hosts" && typeof listPath[1] === "number" ? listPath[1] : undefined;
  const host = hostIndex !== undefined ? hostsOf(d)[hostIndex] : undefined;
  const self = hostAddress(host);
  const firstHost = typeof hostsOf(d)[0]?.name === "string" ? (hostsOf(d)[0]!.name as string) : "host";
  if (listPath.length === 1 && last === "hosts")
    return {
      name: freeName(
        "host",
        hostsOf(d).map((h) => h.name),
        2,
      ),
    };
  if (host && listPath.length === 3) {
    switch (last) {
      case "interfaces":
        // gif(4): `ifconfig gif0 tunnel SRC DST` — the tunnel's far end is for the user to fill in.
        if (kind === "gif")
          return {
            name: freeName(
              "gif",
              (host.interfaces ?? []).map((i) => i.name),
            ),
            addr: `10.${freeSubnet(d)}.0.1/30`,
            tunnel: { src: self, dst: "" },
          };
        return {
          name: freeName(
            "em",
            (host.interfaces ?? []).map((i) => i.name),
          ),
          addr: `10.${freeSubnet(d)}.0.1/24`,
        };
      case "routes":
        return { dst: "default", ifname: typeof host.interfaces?.[0]?.name === "string" ? host.interfaces[0].name : "lo0" };
      case "sad":
        return {
          spi: freeSpi(d),
          src: self,
          dst: self,
          proto: "esp",
          mode: "transport",
          enc: "aes-gcm-16",
          encKey: generateKey(generatedLength(encKeyRule("aes-gcm-16")!, ""), fill),
        };
      case "spd":
        return {
          dir: "out",
          src: `${self}/32`,
          dst: `${self}/32`,
          action: "ipsec",
          requests: [{ proto: "esp", mode: "transport", level: "require" }],
        };
    }
  }
  if (last === "requests") return { proto: "esp", mode: "transport", level: "require" };
  if (listPath.length === 1 && last === "traffic") {
    const base = skeleton(nodeAt(d, listPath)?.item ?? { type: "unknown" }, kind);
    return { ...(base as object), from: firstHost, dst: "127.0.0.1" };
  }
  if (listPath.length === 1 && last === "links")
    return {
      name: freeName(
        "net",
        linksOf(d).map((l) => l.name),
      ),
      ends: ["", ""],
    };
  const list = nodeAt(d, listPath);
  const item = list?.type === "optional" ? list.wrapped?.item : list?.item;
  return item ? skeleton(item, kind) : null;
}

/** Whether the draft's list at `path` can take another item (the schema's maxLength). */
export function listLength(d: Draft, path: Path): number {
  const v = getIn(d, path);
  return Array.isArray(v) ? v.length : 0;
}
