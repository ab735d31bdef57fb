// Basalt's encrypted-content format, version 1:
//
//   header   "BSLT" | u8 format=1 | u8 n | master key id (n bytes) | data key id (8 bytes)
//            | u32 data key version | u32 segment size | 96-bit random IV
//   segments (ciphertext ‖ 16-byte GCM tag) per `segment size` bytes of plaintext; the last
//            segment holds 0..size bytes and is always present, so empty content has one.
//
// Each segment is its own AES-256-GCM message: nonce = IV with the segment index XORed into its
// last 4 bytes; authenticated data = header ‖ account id ‖ caller context ‖ index ‖ last-flag.
// Authenticating every segment lets streams release only verified plaintext; the index and
// last-flag catch reordered, dropped or truncated segments; the account and context bind the
// content to where it was written. Tags trail their segment because a stream's tag is only
// known after its last byte.
import { createCipheriv, createDecipheriv, type KeyObject } from "node:crypto";
import { integrityFailure } from "./crypto-errors.ts";
import { lengthPrefixed, u32 } from "./encoding.ts";

const MAGIC = Buffer.from("BSLT", "ascii");
const FORMAT_VERSION = 1;
/** Bytes of the random IV in each header. */
export const IV_BYTES = 12;
/** Bytes of each segment's GCM tag. */
export const TAG_BYTES = 16;
/** Bytes of a data key id in the header. */
export const DATA_KEY_ID_BYTES = 8;
/** Plaintext bytes per segment unless configured otherwise. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024;
/** Smallest and largest segment sizes a header may declare (the upper bound caps reader memory). */
export const SEGMENT_BYTES_RANGE = { min: 16, max: 16 * 1024 * 1024 } as const;
const FIXED_HEADER_BYTES = MAGIC.length + 2 + DATA_KEY_ID_BYTES + 4 + 4 + IV_BYTES;
/** The longest header there can be (a 255-byte master key id): reading this many bytes always covers it. */
export const MAX_HEADER_BYTES = FIXED_HEADER_BYTES + 255;
const MAX_SEGMENTS = 0x1_0000_0000;

/** The fields of a ciphertext header. */
export interface CiphertextHeader {
  /** The master key the data key was wrapped under when this was written (provenance; the key store is authoritative). */
  masterKeyId: string;
  /** Hex id of the data key, checked against the key store's record for that version. */
  dataKeyId: string;
  dataKeyVersion: number;
  segmentBytes: number;
  iv: Buffer;
}

/** The header's bytes. */
export function encodeHeader(header: CiphertextHeader): Buffer {
  const id = Buffer.from(header.masterKeyId, "utf8");
  if (id.length === 0 || id.length > 255) throw new RangeError("A master key id must be 1-255 bytes.");
  return Buffer.concat([
    MAGIC,
    Buffer.of(FORMAT_VERSION, id.length),
    id,
    Buffer.from(header.dataKeyId, "hex"),
    u32(header.dataKeyVersion),
    u32(header.segmentBytes),
    header.iv,
  ]);
}

/** Parses a header from the start of `bytes`; undefined when more bytes are needed. Throws on anything not ours. */
export function parseHeader(bytes: Buffer, complete: boolean): { header: CiphertextHeader; bytes: Buffer } | undefined {
  const need = (n: number) => {
    if (bytes.length >= n) return true;
    if (complete) throw integrityFailure("it is shorter than an encryption header.");
    return false;
  };
  if (!need(MAGIC.length + 2)) return undefined;
  // Never fall back to treating unrecognised bytes as plaintext: that is the fail-open path.
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw integrityFailure("it is not in Basalt's encrypted format.");
  if (bytes[4] !== FORMAT_VERSION) throw integrityFailure(`its format version ${bytes[4]} is not supported.`);
  const idLength = bytes[5]!;
  const total = FIXED_HEADER_BYTES + idLength;
  if (!need(total)) return undefined;
  let at = 6;
  const masterKeyId = bytes.toString("utf8", at, (at += idLength));
  const dataKeyId = bytes.toString("hex", at, (at += DATA_KEY_ID_BYTES));
  const dataKeyVersion = bytes.readUInt32BE(at);
  const segmentBytes = bytes.readUInt32BE(at + 4);
  const iv = Buffer.from(bytes.subarray(at + 8, at + 8 + IV_BYTES));
  if (idLength === 0 || dataKeyVersion === 0 || segmentBytes < SEGMENT_BYTES_RANGE.min || segmentBytes > SEGMENT_BYTES_RANGE.max) {
    throw integrityFailure("its encryption header is malformed.");
  }
  return { header: { masterKeyId, dataKeyId, dataKeyVersion, segmentBytes, iv }, bytes: Buffer.from(bytes.subarray(0, total)) };
}

/** Seals and opens the segments of one piece of content under one data key. */
export class SegmentCipher {
  private readonly aadPrefix: Buffer;

  constructor(
    private readonly key: KeyObject,
    private readonly header: CiphertextHeader,
    headerBytes: Buffer,
    binding: { accountId: string; context: string },
  ) {
    this.aadPrefix = Buffer.concat([headerBytes, lengthPrefixed(binding.accountId, binding.context)]);
  }

  /** Encrypts segment `index`; returns ciphertext ‖ tag. */
  seal(index: number, last: boolean, plaintext: Buffer): Buffer {
    const cipher = createCipheriv("aes-256-gcm", this.key, this.nonce(index));
    cipher.setAAD(this.aad(index, last));
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }

  /** Decrypts and verifies segment `index`; throws an integrity failure if it does not authenticate. */
  open(index: number, last: boolean, sealed: Buffer): Buffer {
    if (sealed.length < TAG_BYTES) throw integrityFailure("it is truncated.");
    const decipher = createDecipheriv("aes-256-gcm", this.key, this.nonce(index));
    decipher.setAAD(this.aad(index, last));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const body = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    try {
      return Buffer.concat([body, decipher.final()]);
    } catch {
      body.fill(0);
      throw integrityFailure("it was altered, truncated, or written for another account or resource.");
    }
  }

  private nonce(index: number): Buffer {
    if (index >= MAX_SEGMENTS) throw new RangeError("Content is too large for one encrypted object.");
    const nonce = Buffer.from(this.header.iv);
    nonce.writeUInt32BE((nonce.readUInt32BE(IV_BYTES - 4) ^ index) >>> 0, IV_BYTES - 4);
    return nonce;
  }

  private aad(index: number, last: boolean): Buffer {
    return Buffer.concat([this.aadPrefix, u32(index), Buffer.of(last ? 1 : 0)]);
  }
}

/** Encrypts a whole buffer as header ‖ segments. */
export function sealBuffer(cipher: SegmentCipher, headerBytes: Buffer, plaintext: Buffer, segmentBytes: number): Buffer {
  const parts = [headerBytes];
  const count = Math.max(1, Math.ceil(plaintext.length / segmentBytes));
  for (let i = 0; i < count; i++) {
    parts.push(cipher.seal(i, i === count - 1, plaintext.subarray(i * segmentBytes, (i + 1) * segmentBytes)));
  }
  return Buffer.concat(parts);
}

/** Decrypts the segments that follow a header (`body`); all must authenticate. */
export function openBuffer(cipher: SegmentCipher, body: Buffer, segmentBytes: number): Buffer {
  const sealedBytes = segmentBytes + TAG_BYTES;
  const count = Math.max(1, Math.ceil(body.length / sealedBytes));
  const parts: Buffer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      parts.push(cipher.open(i, i === count - 1, body.subarray(i * sealedBytes, (i + 1) * sealedBytes)));
    }
  } catch (error) {
    // Verified segments of content that fails as a whole are not handed out, nor left lying around.
    for (const part of parts) part.fill(0);
    throw error;
  }
  return Buffer.concat(parts);
}
