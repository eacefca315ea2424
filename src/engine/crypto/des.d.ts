/**
 * The part of des.js (indutny/des.js 1.1.0, the DES-EDE3 browserify's crypto uses) tagflow calls.
 * The package ships no types; this declares only what `cipher.ts` uses.
 */
declare module "des.js" {
  /** One cipher instance: feed blocks with update, close with final (no padding when asked). */
  interface DesCipher {
    update(data: ArrayLike<number>): number[];
    final(): number[];
  }
  interface DesOptions {
    type: "encrypt" | "decrypt";
    key: ArrayLike<number>;
    iv?: ArrayLike<number>;
    padding?: boolean;
  }
  interface DesMode {
    create(options: DesOptions): DesCipher;
  }
  const des: {
    readonly EDE: DesMode;
    readonly CBC: { instantiate(base: DesMode): DesMode };
  };
  export default des;
}
