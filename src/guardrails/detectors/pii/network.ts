// IP_ADDRESS (IPv4 and IPv6) and MAC_ADDRESS. A dotted quad is an address, but not when it is
// part of a longer dotted run, a version ("v1.2.3.4", "version 1.2.3.4", "1.2.3.4-beta").
import { isIPv6 } from "node:net";
import type { PiiMatch } from "../../policy.ts";
import { cueBefore, makeMatch, matchAll, type PiiRule } from "./scan.ts";

const OCTET = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)`;
const IPV4 = new RegExp(
  String.raw`(?<![\w.])(?:${OCTET}\.){3}${OCTET}(?![\w]|\.\d|-(?:alpha|beta|rc|dev|snapshot|pre|preview|final|release)\b)`,
  "gi",
);
const VERSION_CUE = /\b(?:version|release|build|ver|rev|v)[\s.:]*$/i;
// Hex groups joined by colons; node:net decides whether the candidate really is IPv6.
const IPV6 = /(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])/g;
const MAC = /(?<![\w:.-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![\w:-])|(?<![\w.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![\w.])/g;

const ipRule: PiiRule = {
  type: "IP_ADDRESS",
  find(text) {
    const out: PiiMatch[] = [];
    for (const m of matchAll(IPV4, text)) {
      if (cueBefore(text, m.index, VERSION_CUE, 12)) continue;
      out.push(makeMatch("IP_ADDRESS", text, m.index, m.index + m[0].length, 0.95));
    }
    for (const m of matchAll(IPV6, text)) {
      const groups = m[0].split(":").filter((g) => g.length > 0).length;
      if (groups < 2 || !isIPv6(m[0])) continue;
      out.push(makeMatch("IP_ADDRESS", text, m.index, m.index + m[0].length, 0.95));
    }
    return out;
  },
};

const macRule: PiiRule = {
  type: "MAC_ADDRESS",
  find(text) {
    const out: PiiMatch[] = [];
    for (const m of matchAll(MAC, text)) out.push(makeMatch("MAC_ADDRESS", text, m.index, m.index + m[0].length, 0.95));
    return out;
  },
};

/** IP_ADDRESS and MAC_ADDRESS rules. */
export const networkRules: readonly PiiRule[] = [ipRule, macRule];
