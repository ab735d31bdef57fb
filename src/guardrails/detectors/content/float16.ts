// IEEE 754 half precision, for the shipped weights (Node 20 has no Float16Array). Halves
// the weights file; a linear model's scores move by well under 0.001.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds one number to the nearest half-precision bit pattern. */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = ((x >>> 23) & 0xff) - 127 + 15;
  const mantissa = x & 0x7fffff;
  if (exponent >= 31) return sign | 0x7c00; // overflow → infinity (never in trained weights)
  if (exponent <= 0) {
    if (exponent < -10) return sign; // underflow → signed zero
    const m = (mantissa | 0x800000) >>> (1 - exponent);
    return sign | ((m + 0x1000) >>> 13);
  }
  const rounded = (exponent << 10) | (mantissa >>> 13);
  return sign | (rounded + ((mantissa >>> 12) & 1));
}

/** Decodes one half-precision bit pattern. */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Encodes a whole array. */
export function encodeFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]!);
  return out;
}

/** Decodes a whole array, through a 65,536-entry table (faster than bit arithmetic per value). */
export function decodeFloat16(bits: Uint16Array): Float32Array {
  const table = new Float32Array(65536);
  for (let b = 0; b < 65536; b++) table[b] = fromFloat16Bits(b);
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}
