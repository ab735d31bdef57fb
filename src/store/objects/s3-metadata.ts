// User metadata travels to S3 as `x-amz-meta-*` headers, which carry only printable ASCII and
// lose surrounding spaces. Other values go as RFC 2047 encoded words, which is what S3 itself
// does: it decodes `=?UTF-8?B?…?=` on write and encodes non-ASCII values that way on read
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html).

const PLAIN = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;
const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/** A metadata value as it goes into a header. */
export function encodeMetadataValue(value: string): string {
  // Plain values that merely look like an encoded word are encoded too, so they read back verbatim.
  if (PLAIN.test(value) && !value.startsWith("=?")) return value;
  return `=?UTF-8?B?${Buffer.from(value, "utf8").toString("base64")}?=`;
}

function decodeQ(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const hex = text.slice(i + 1, i + 3);
    if (char === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(char === "_" ? 0x20 : char.charCodeAt(0) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** A metadata value as read from a header: encoded words decoded, anything else as is. */
export function decodeMetadataValue(value: string): string {
  if (!value.includes("=?")) return value;
  // Whitespace between adjacent encoded words is not part of the text (RFC 2047 §6.2).
  return value.replace(/\?=\s+=\?/g, "?==?").replace(ENCODED_WORD, (word, charset: string, encoding: string, text: string) => {
    const name = charset.toLowerCase();
    const buffer = encoding.toUpperCase() === "B" ? Buffer.from(text, "base64") : decodeQ(text);
    if (name === "utf-8" || name === "utf8") return buffer.toString("utf8");
    if (name === "iso-8859-1" || name === "us-ascii") return buffer.toString("latin1");
    return word;
  });
}

/** All values of a metadata map, encoded for headers. */
export function encodeMetadata(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([name, value]) => [name, encodeMetadataValue(value)]));
}

/** All values of a metadata map read from S3, decoded. */
export function decodeMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata ?? {}).map(([name, value]) => [name, decodeMetadataValue(value)]));
}
