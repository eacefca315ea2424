/**
 * `tagflow run … --pcap` reports what the capture holds (issue 15 item 5): before, the line
 * counted link.tx events and trace.links, so the key messages on nlmon0 / PF_KEY and their
 * interfaces were missing from "N packets on M interfaces".
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LINKTYPE, readPcapng } from "../../../src/export";
import { tagflow } from "../../cli/tagflow";

const dir = mkdtempSync(join(tmpdir(), "tagflow-keying-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("tagflow run --pcap with key messages", () => {
  for (const name of ["libreswan-ondemand", "ondemand-pfkeyv2"])
    it(`${name}: the counts are the capture's own`, async () => {
      const r = await tagflow(["run", name, "--quiet", "--pcap", "k.pcapng"], { cwd: dir });
      const cap = readPcapng(new Uint8Array(readFileSync(join(dir, "k.pcapng"))));
      const key = cap.packets.filter((p) => {
        const t = cap.interfaces[p.interfaceId]!.linkType;
        return t === LINKTYPE.NETLINK || t === LINKTYPE.USER0;
      }).length;
      expect(key).toBeGreaterThan(40);
      expect(r.stderr).toContain(
        `tagflow: wrote k.pcapng (${cap.packets.length} packets on ${cap.interfaces.length} interfaces, ${key} of them key messages (netlink as nlmon records it, or PF_KEY))`,
      );
    });
});
