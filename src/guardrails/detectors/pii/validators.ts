// Check-digit and structure rules of the identifiers the built-in recognizer knows. Each takes
// the compact form (digits, or upper-case letters and digits) and says whether it can be real.
import { electronicFormatIBAN, isValidBIC, isValidIBAN } from "ibantools";

/** Luhn (mod 10): payment cards, Canadian SINs, Ontario health numbers. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let n = digits.charCodeAt(i) - 48;
    if (n < 0 || n > 9) return false;
    if (double) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** Payment-card brands by issuer prefix (IIN) and allowed lengths. */
const CARD_BRANDS: { prefix: RegExp; lengths: readonly number[] }[] = [
  { prefix: /^4/, lengths: [13, 16, 19] }, // Visa
  { prefix: /^(5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720))/, lengths: [16] }, // Mastercard
  { prefix: /^3[47]/, lengths: [15] }, // American Express
  { prefix: /^(6011|64[4-9]|65|622)/, lengths: [16, 17, 18, 19] }, // Discover, UnionPay co-branded
  { prefix: /^62/, lengths: [16, 17, 18, 19] }, // UnionPay
  { prefix: /^3(0[0-5]|095|[689])/, lengths: [14, 15, 16, 17, 18, 19] }, // Diners Club
  { prefix: /^(35(2[89]|[3-8]\d)|2131|1800)/, lengths: [15, 16, 17, 18, 19] }, // JCB
  { prefix: /^(5[06-9]|6\d)/, lengths: [12, 13, 14, 15, 16, 17, 18, 19] }, // Maestro
  { prefix: /^220[0-4]/, lengths: [16, 17, 18, 19] }, // Mir
];

/** True when a Luhn-valid number also has a known card brand's prefix and length. */
export function isCardNumber(digits: string): boolean {
  return luhn(digits) && CARD_BRANDS.some((b) => b.prefix.test(digits) && b.lengths.includes(digits.length));
}

/** ABA routing transit number: 9 digits, weights 3-7-1, and a Federal Reserve prefix. */
export function isAbaRouting(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const prefix = Number(digits.slice(0, 2));
  const prefixOk = prefix <= 12 || (prefix >= 21 && prefix <= 32) || (prefix >= 61 && prefix <= 72) || prefix === 80;
  if (!prefixOk) return false;
  const w = [3, 7, 1];
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * (w[i % 3] ?? 0);
  return sum % 10 === 0;
}

/** UK NHS number: 10 digits, mod-11 check digit (a computed 10 means the number is invalid). */
export function isNhsNumber(digits: string): boolean {
  if (!/^\d{10}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * (10 - i);
  const check = 11 - (sum % 11);
  const expected = check === 11 ? 0 : check;
  return expected !== 10 && expected === digits.charCodeAt(9) - 48;
}

const VIN_VALUES: Record<string, number> = {
  A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8, J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9,
  S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9,
};
const VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/** Vehicle identification number: 17 characters without I, O, Q. */
export function isVinShape(vin: string): boolean {
  return /^[A-HJ-NPR-Z0-9]{17}$/.test(vin) && /\d/.test(vin) && /[A-Z]/.test(vin);
}

/** North American VIN check digit (position 9, mod 11, 10 written as X). */
export function vinCheckDigitOk(vin: string): boolean {
  if (!isVinShape(vin)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const c = vin[i] ?? "";
    const value = c >= "0" && c <= "9" ? c.charCodeAt(0) - 48 : (VIN_VALUES[c] ?? 0);
    sum += value * (VIN_WEIGHTS[i] ?? 0);
  }
  const r = sum % 11;
  return vin[8] === (r === 10 ? "X" : String(r));
}

/** US SSN issuance rules: area not 000, 666 or 900-999; group not 00; serial not 0000. */
export function isSsn(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const area = Number(digits.slice(0, 3));
  return area !== 0 && area !== 666 && area < 900 && digits.slice(3, 5) !== "00" && digits.slice(5) !== "0000";
}

/** US ITIN: starts with 9, group 50-65, 70-88, 90-92 or 94-99. */
export function isItin(digits: string): boolean {
  if (!/^9\d{8}$/.test(digits)) return false;
  const g = Number(digits.slice(3, 5));
  return (g >= 50 && g <= 65) || (g >= 70 && g <= 88) || (g >= 90 && g <= 92) || (g >= 94 && g <= 99);
}

const NINO_BAD_PREFIXES = new Set(["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"]);

/** UK National Insurance number (compact, upper case): HMRC's prefix rules and an A-D suffix. */
export function isNino(nino: string): boolean {
  if (!/^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$/.test(nino)) return false;
  return !NINO_BAD_PREFIXES.has(nino.slice(0, 2));
}

/** Canadian SIN: 9 digits, Luhn, first digit not 0 (unused) or 8 (business numbers). */
export function isCaSin(digits: string): boolean {
  return /^[1-79]\d{8}$/.test(digits) && luhn(digits);
}

/** IBAN (any case, spaces allowed): country length, BBAN format and mod-97 check, via ibantools. */
export function isIban(value: string): boolean {
  const compact = electronicFormatIBAN(value.toUpperCase());
  return compact !== null && isValidIBAN(compact);
}

/** SWIFT/BIC: 4-letter bank, ISO country, 2-character location, optional 3-character branch. */
export function isBic(value: string): boolean {
  return isValidBIC(value);
}
