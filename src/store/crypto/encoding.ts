// Unambiguous byte encodings for authenticated data: every variable-length field carries its
// length, so ("ab", "c") and ("a", "bc") can never authenticate as each other.

/** A 4-byte big-endian unsigned integer. */
export function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}

/** Each string as a u32 byte length followed by its UTF-8 bytes, concatenated. */
export function lengthPrefixed(...parts: string[]): Buffer {
  return Buffer.concat(parts.flatMap((part) => {
    const bytes = Buffer.from(part, "utf8");
    return [u32(bytes.length), bytes];
  }));
}
